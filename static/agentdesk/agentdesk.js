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

  // Texts the page shows from here come translated from the server (base.html, "ui-text").
  var TEXT = {};
  try { TEXT = JSON.parse(document.getElementById("ui-text").textContent); } catch (e) { TEXT = {}; }
  function text(key, fallback) { return TEXT[key] || fallback; }

  // One polite live region says what changed without a banner (state, connection, progress).
  // Cleared first so the same words said twice are announced twice.
  function announce(message) {
    var region = document.getElementById("announcer");
    if (!region || !message) return;
    region.textContent = "";
    setTimeout(function () { region.textContent = message; }, 60);
  }

  // Live connection status, shown in the top bar and as a banner while it is down.
  var retryTimer = null;
  var wasLost = false;
  function setLive(state) {
    var badge = document.getElementById("live-status");
    var banner = document.getElementById("connection-banner");
    if (badge) {
      badge.dataset.state = state;
      badge.textContent = state === "live" ? text("live", "Live") : state === "lost" ? text("offline", "Offline") : text("connecting", "Connecting…");
    }
    if (banner) {
      if (state === "lost" && !wasLost) announce(banner.textContent.trim());
      if (state === "live" && wasLost) announce(banner.dataset.restored);
      banner.hidden = state !== "lost";
    }
    wasLost = state === "lost";
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
    showBanner(text("unreachable", "The server could not be reached. Nothing was changed; try again."));
  });
  document.addEventListener("htmx:responseError", function (event) {
    if (event.detail.xhr && event.detail.xhr.status >= 500) showBanner(text("server_failed", "The server failed to answer. Nothing was changed; try again."));
  });
  function showBanner(message) {
    var slot = document.getElementById("banner");
    if (!slot) return;
    slot.innerHTML = "";
    var p = document.createElement("p");
    p.className = "banner banner-error";
    p.setAttribute("role", "alert");
    p.textContent = message;
    slot.appendChild(p);
  }

  // Live pushes replace whole fragments. Keep keyboard focus where it was (same id), announce
  // fragments that carry data-announce when their words change, and finish moving focus
  // after an action once its fragments are in.
  var focusedId = null;
  var announced = {};
  document.addEventListener("htmx:oobBeforeSwap", function (event) {
    var active = document.activeElement;
    if (active && active !== document.body && active.id && event.detail.target.contains(active)) focusedId = active.id;
  });
  document.addEventListener("htmx:oobAfterSwap", function (event) {
    var elt = event.target;
    if (elt && elt.dataset && elt.dataset.announce !== undefined && elt.id) {
      var words = elt.dataset.announce;
      if (announced[elt.id] !== undefined && announced[elt.id] !== words) announce(words);
      announced[elt.id] = words;
    }
    restoreFocus();
  });
  function restoreFocus() {
    var wanted = pendingFocus && Date.now() < pendingFocus.until ? pendingFocus.id : focusedId;
    var active = document.activeElement;
    if (!wanted || (active && active !== document.body && document.contains(active))) return;
    var target = document.getElementById(wanted);
    if (target && !target.disabled) target.focus();
    focusedId = null;
  }
  document.querySelectorAll("[data-announce][id]").forEach(function (elt) { announced[elt.id] = elt.dataset.announce; });
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-announce][id]").forEach(function (elt) { announced[elt.id] = elt.dataset.announce; });
  });

  // Where focus goes after each action: Next/Reserved to the contact card (or back to Next
  // when none came), Skip back to Next (or the outcome list if it failed), Add to the first
  // field with an error (or the form's first field, ready for the next one).
  var pendingAction = null;
  var pendingFocus = null;
  function actionOf(elt) {
    if (!elt) return null;
    if (elt.id === "btn-next" || elt.id === "btn-reserved") return "fetch";
    if (elt.id === "skip-form") return "skip";
    if (elt.id === "add-form") return "add";
    return null;
  }
  document.addEventListener("htmx:beforeRequest", function (event) {
    var action = actionOf(event.detail.elt);
    if (action) pendingAction = action;
  });
  function focusAfterAction() {
    var action = pendingAction;
    pendingAction = null;
    if (!action) return;
    var id = null;
    var card = document.getElementById("contact-card");
    if (action === "fetch") id = card ? "contact-card" : "btn-next";
    else if (action === "skip") id = card ? "outcome" : "btn-next";
    else if (action === "add") {
      var invalid = document.querySelector("#add-form .invalid input, #add-form .invalid select, #add-form .invalid textarea");
      if (invalid && !invalid.id) invalid.id = "add-invalid-field";
      id = invalid ? invalid.id : "id_campaign";
    }
    var target = id && document.getElementById(id);
    if (!target) return;
    // A live push with the same fragments may land just after; it must not take focus away.
    pendingFocus = { id: id, until: Date.now() + 3000 };
    target.focus();
  }
  // The answer's fragments are all in when the request's target (the body) reports its swap;
  // a failed request has no swap, so its end moves focus too.
  document.addEventListener("htmx:afterSwap", function (event) {
    if (event.target === document.body) focusAfterAction();
  });
  document.addEventListener("htmx:afterRequest", function () { setTimeout(focusAfterAction, 0); });
  document.addEventListener("htmx:wsAfterMessage", restoreFocus);

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
