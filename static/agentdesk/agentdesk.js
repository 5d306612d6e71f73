// agentdesk page behaviour: keyboard shortcuts, live-connection status and reconnects, tickers.
(function () {
  "use strict";

  // Reconnect sooner than htmx's default back-off (up to 64 s): at most 10 s between tries.
  if (window.htmx) {
    htmx.config.wsReconnectDelay = function (retryCount) {
      var base = Math.min(10000, 500 * Math.pow(2, retryCount));
      return base / 2 + Math.random() * base / 2;
    };
  }

  var SHORTCUTS = {
    n: "#btn-next", r: "#btn-reserved", s: "#btn-skip",
    h: "#btn-hand-back", c: "#btn-confirm-dial"
  };

  function typingIn(target) {
    return target && (target.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName));
  }

  document.addEventListener("keydown", function (event) {
    if (event.ctrlKey || event.metaKey || event.repeat) return;
    if (typingIn(event.target) && !event.altKey) return;
    var key = (event.key || "").toLowerCase();
    if (event.altKey && event.code && event.code.indexOf("Key") === 0) key = event.code.slice(3).toLowerCase();
    if (key === "a") {
      var first = document.querySelector("#add-form select[name=campaign]");
      if (first) { event.preventDefault(); first.focus(); first.scrollIntoView({ block: "nearest" }); }
      return;
    }
    var selector = SHORTCUTS[key];
    if (!selector) return;
    var button = document.querySelector(selector);
    if (!button || button.disabled) return;
    event.preventDefault();
    if (key === "s") {
      var outcome = document.querySelector("#outcome");
      if (outcome && !outcome.value) { outcome.focus(); return; }
      button.form.requestSubmit(button);
    } else {
      button.click();
    }
  });

  // Live connection status, shown in the top bar and as a banner while it is down.
  var retryTimer = null;
  function setLive(state) {
    var badge = document.getElementById("live-status");
    var banner = document.getElementById("connection-banner");
    if (badge) {
      badge.dataset.state = state;
      badge.textContent = state === "live" ? "Live" : state === "lost" ? "Offline" : "Connecting…";
    }
    if (banner) banner.hidden = state !== "lost";
  }
  document.addEventListener("htmx:wsOpen", function () { setLive("live"); });
  document.addEventListener("htmx:wsClose", function (event) {
    setLive("lost");
    // htmx reconnects by itself only after abnormal closes; reconnect after clean ones too.
    var code = event.detail && event.detail.event && event.detail.event.code;
    var wrapper = event.detail && event.detail.socketWrapper;
    if ([1006, 1011, 1012, 1013].indexOf(code) < 0 && wrapper && wrapper.reconnect && !retryTimer) {
      retryTimer = setTimeout(function () { retryTimer = null; wrapper.reconnect(); }, 1000 + Math.random() * 1000);
    }
  });
  document.addEventListener("htmx:wsError", function () { setLive("lost"); });
  // A request the server could not answer (network down, 5xx) still tells the agent.
  document.addEventListener("htmx:sendError", function () {
    showBanner("The server could not be reached. Nothing was changed; try again.");
  });
  document.addEventListener("htmx:responseError", function (event) {
    if (event.detail.xhr && event.detail.xhr.status >= 500) showBanner("The server failed to answer. Nothing was changed; try again.");
  });
  function showBanner(text) {
    var slot = document.getElementById("banner");
    if (!slot) return;
    slot.innerHTML = "";
    var p = document.createElement("p");
    p.className = "banner banner-error";
    p.setAttribute("role", "alert");
    p.textContent = text;
    slot.appendChild(p);
  }

  // A live push may replace the button an agent just pressed before its answer arrives; htmx
  // would then look for the answer's fragments inside the detached button. Swap them into the
  // document instead.
  document.addEventListener("htmx:beforeSwap", function (event) {
    var elt = event.detail.requestConfig && event.detail.requestConfig.elt;
    if (elt && !document.contains(elt) && event.detail.shouldSwap) {
      event.detail.shouldSwap = false;
      htmx.swap(document.body, event.detail.serverResponse, { swapStyle: "none" });
    }
  });

  // A confirmed dial outside calling hours: the server logged it, now dial.
  document.addEventListener("agentdesk:dial", function (event) {
    var href = event.detail && event.detail.href;
    if (href && href.indexOf("tel:") === 0) window.location.href = href;
  });

  // The preview countdown counts from when the card arrived (not the browser's clock, which
  // may differ from the server's); at zero it asks the server to hand the contact back, or
  // marks the agent as over the limit (the monitor flags it too).
  var countdownShown = null, countdownStart = 0, countdownSent = false;
  function countdown() {
    var el = document.getElementById("preview-countdown");
    if (!el) { countdownShown = null; return; }
    if (el !== countdownShown) {
      countdownShown = el; countdownStart = performance.now(); countdownSent = false;
    }
    var left = Math.max(0, parseInt(el.dataset.secondsLeft, 10) - Math.floor((performance.now() - countdownStart) / 1000));
    var out = el.querySelector(".countdown");
    if (out) out.textContent = Math.floor(left / 60) + ":" + String(left % 60).padStart(2, "0");
    if (left > 0) return;
    el.classList.add("over");
    if (!countdownSent) {
      countdownSent = true;
      if (el.dataset.action) htmx.ajax("POST", el.dataset.action, { swap: "none", source: el });
    }
  }
  setInterval(countdown, 250);
  // On the monitor: a row whose agent has run over the preview limit turns red by itself.
  var loadedAt = performance.now();
  function monitorLimits() {
    document.querySelectorAll(".agent-row[data-limit-left]").forEach(function (row) {
      if (!row.dataset.seenAt) row.dataset.seenAt = String(performance.now());
      var elapsed = (performance.now() - parseFloat(row.dataset.seenAt || loadedAt)) / 1000;
      if (elapsed >= parseInt(row.dataset.limitLeft, 10)) row.classList.add("over-limit");
    });
  }
  setInterval(monitorLimits, 1000);
  document.addEventListener("htmx:afterSettle", countdown);
  document.addEventListener("htmx:wsAfterMessage", countdown);

  // "for 1:23" counters next to the agent's state.
  function tick() {
    var now = Date.now();
    document.querySelectorAll(".ticker[data-since]").forEach(function (el) {
      var seconds = Math.max(0, Math.floor((now - Date.parse(el.dataset.since)) / 1000));
      var h = Math.floor(seconds / 3600), m = Math.floor(seconds % 3600 / 60), s = seconds % 60;
      el.textContent = (h ? h + ":" + String(m).padStart(2, "0") : m) + ":" + String(s).padStart(2, "0");
    });
  }
  setInterval(tick, 1000);
  document.addEventListener("DOMContentLoaded", tick);
  document.addEventListener("htmx:afterSettle", tick);
  document.addEventListener("htmx:wsAfterMessage", tick);
})();
