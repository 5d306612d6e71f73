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

  var SHORTCUTS = { n: "#btn-next", r: "#btn-reserved", s: "#btn-skip" };

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

  // A live push replaces a whole panel; keep open what the reader opened in it (the numbers
  // under a chart) instead of snapping it shut every few seconds.
  document.addEventListener("htmx:oobBeforeSwap", function (event) {
    var target = event.detail.target, incoming = event.detail.fragment;
    if (!target || !incoming || !incoming.querySelectorAll) return;
    target.querySelectorAll("details[id][open]").forEach(function (open) {
      var twin = incoming.querySelector("#" + CSS.escape(open.id));
      if (twin) twin.open = true;
    });
  });

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
