// agentdesk page behaviour: keyboard shortcuts, live-connection status and reconnects, tickers.
(function () {
  "use strict";

  // Reconnect sooner than htmx's default back-off (up to 64 s), and spread out: after a
  // deploy every page loses its connection in the same instant, and thousands of pages
  // reconnecting in the same instant again make the new worker drop handshakes (a thundering
  // herd). The first try comes at a random moment 0.5-3 s after the loss; later ones wait
  // twice as long each time, up to 10 s, each at a random point between half and all of it.
  // bench/reconnect_storm.py retries the same way.
  function reconnectDelay(retryCount) {
    if (!retryCount) return 500 + Math.random() * 2500;
    var limit = Math.min(10000, 1000 * Math.pow(2, retryCount));
    return limit / 2 + Math.random() * limit / 2;
  }
  if (window.htmx) htmx.config.wsReconnectDelay = reconnectDelay;

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
      // Without an outcome too: the server's answer says on the page what is missing.
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
  // The live connection is checked, not trusted: the browser's offline event and a ping the
  // server answers (desk page) notice a dead one within 10 s; the page says so at once and
  // connects anew by itself. Frames go only over an open connection (never htmx's queue,
  // which would send an action pressed offline once the network is back), and carry the
  // connection they were pressed on and the moment the page stops waiting for them, in the
  // server's clock: the server refuses them after that (desk/timeliness.py).
  var PING_EVERY_MS = 3000, PONG_WAIT_MS = 4000, ARRIVAL_MS = 10000;
  var liveSocket = null;  // htmx's socket wrapper
  var rawSocket = null;  // the WebSocket of the connection in use, while open
  var connectionId = "";
  var clockOffset = null;  // the server's clock minus the page's, in ms
  var lastHeard = 0, pingSentAt = 0, pingSeq = 0;
  function readClock(serverMs) {
    var ms = parseInt(serverMs, 10);
    if (ms > 0) clockOffset = ms - Date.now();
  }
  var initialClock = document.getElementById("socket-clock");
  if (initialClock) readClock(initialClock.dataset.serverMs);
  function deadline() {
    return clockOffset === null ? "" : String(Date.now() + clockOffset + ARRIVAL_MS);
  }
  function socketOpen() { return !!(rawSocket && rawSocket.readyState === 1); }
  document.addEventListener("htmx:wsOpen", function (event) {
    liveSocket = event.detail && event.detail.socketWrapper;
    rawSocket = event.detail && event.detail.event && event.detail.event.target || null;
    lastHeard = Date.now();
    pingSentAt = 0;
    setLive("live");
  });
  document.addEventListener("htmx:wsBeforeMessage", function (event) {
    lastHeard = Date.now();
    var message = String(event.detail && event.detail.message || "");
    var clock = /id="socket-(clock|pong)"[^>]*data-server-ms="(\d+)"/.exec(message);
    if (clock) readClock(clock[2]);
    var connection = /id="socket-clock"[^>]*data-connection="([^"]*)"/.exec(message);
    if (connection) connectionId = connection[1];
    if (clock && clock[1] === "pong") event.preventDefault();  // nothing to show
  });
  function connectionLost() {
    rawSocket = null;
    connectionId = "";
    if (sentAction) dropped();
    setLive("lost");
  }
  // A connection found dead: let it go (unheard, so its late close changes nothing) and, when
  // the browser is online, connect anew at once.
  function giveUp() {
    var dead = rawSocket;
    if (!dead && !sentAction && wasLost) return;
    connectionLost();
    if (dead) {
      dead.onclose = null;
      dead.onerror = null;
      try { dead.close(); } catch (e) { /* already closing */ }
    }
    if (navigator.onLine !== false) reconnectSoon(0);
  }
  function reconnectSoon(delay) {
    if (retryTimer || !liveSocket || !liveSocket.reconnect) return;
    retryTimer = setTimeout(function () {
      retryTimer = null;
      if (!socketOpen()) liveSocket.reconnect();
    }, delay);
  }
  window.addEventListener("offline", giveUp);
  window.addEventListener("online", function () { if (!socketOpen()) reconnectSoon(0); });
  if (document.body && document.body.dataset.livePing) {
    setInterval(function () {
      if (!socketOpen()) return;
      var now = Date.now();
      if (pingSentAt && lastHeard < pingSentAt) {
        if (now - pingSentAt > PONG_WAIT_MS) giveUp();
        return;
      }
      if (now - lastHeard < PING_EVERY_MS) return;
      pingSeq += 1;
      pingSentAt = now;
      rawSocket.send(JSON.stringify({ action: "ping", ping: String(pingSeq) }));
    }, 500);
  }
  document.addEventListener("htmx:wsClose", function (event) {
    var closed = event.detail && event.detail.event && event.detail.event.target;
    if (closed && rawSocket && closed !== rawSocket) return;  // one given up already
    connectionLost();
    // htmx reconnects by itself only after abnormal closes; reconnect after clean ones too.
    var code = event.detail && event.detail.event && event.detail.event.code;
    if ([1006, 1011, 1012, 1013].indexOf(code) < 0) reconnectSoon(1000 + Math.random() * 1000);
  });
  document.addEventListener("htmx:wsError", function () { setLive("lost"); });
  // A desk action posted (no live socket) carries the page's deadline too, and the page stops
  // waiting when it passes.
  document.addEventListener("htmx:configRequest", function (event) {
    var detail = event.detail;
    if (detail.verb !== "post" || String(detail.path).indexOf("/desk/") !== 0) return;
    var until = deadline();
    if (until) detail.parameters.deadline = until;
    detail.timeout = ANSWER_WAIT_MS;
  });
  document.addEventListener("htmx:timeout", function () {
    showBanner(text("action_unanswered", "Your action got no answer. It may have been done; the page shows what happened once it is live again."));
  });
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
  // when none came), Skip and Hand back back to Next (or, if it failed, the outcome list and
  // the card), Add to the first field with an error (or the form's first field, ready for
  // the next one).
  var pendingAction = null;
  var pendingFocus = null;
  function actionOf(elt) {
    if (!elt) return null;
    if (elt.id === "btn-next" || elt.id === "btn-reserved") return "fetch";
    if (elt.id === "skip-form") return "skip";
    if (elt.id === "btn-hand-back") return "hand_back";
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
    // Handed back: ready for the next contact; refused: the card is still there to read.
    else if (action === "hand_back") id = card ? "contact-card" : "btn-next";
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

  // The agent's actions (Next, Reserved, Skip, Hand back) go over the page's open socket: the
  // server answers on it without an HTTP request of its own. Without a live socket they are
  // posted as usual. The page shows progress and holds the buttons until the server's answer
  // names this action (#socket-answer); a dropped connection or no answer says so, because the
  // action may have been done.
  var sentAction = null, sentCount = 0;
  var ANSWER_WAIT_MS = 45000;
  document.addEventListener("htmx:confirm", function (event) {
    var elt = event.detail.elt;
    var action = elt && elt.dataset && elt.dataset.socketAction;
    if (!action || !socketOpen() || sentAction) return;
    event.preventDefault();
    var fields = Object.assign({}, htmx.values(elt, "post"));
    delete fields.csrfmiddlewaretoken;
    sentCount += 1;
    var id = "a" + sentCount + "-" + Date.now().toString(36);
    fields.action = action;
    fields.request_id = id;
    fields.connection = connectionId;
    fields.deadline = deadline();
    var held = [];
    (elt.getAttribute("hx-disabled-elt") || "").split(",").forEach(function (selector) {
      selector = selector.trim();
      var found = selector === "this" ? [elt] : selector ? Array.prototype.slice.call(document.querySelectorAll(selector)) : [];
      found.forEach(function (button) { if (!button.disabled) { button.disabled = true; held.push(button); } });
    });
    var indicator = elt.getAttribute("hx-indicator");
    // Focus moves when the answer naming this action arrives, not on a push that lands first
    // (the state change other tabs get): that one would move it while the card is still there.
    sentAction = {
      id: id, held: held, indicator: indicator, focus: actionOf(elt),
      timer: setTimeout(unanswered, ANSWER_WAIT_MS)
    };
    if (indicator) document.querySelectorAll(indicator).forEach(function (el) { el.classList.add("htmx-request"); });
    rawSocket.send(JSON.stringify(fields));
  });
  function endSentAction() {
    var sent = sentAction;
    sentAction = null;
    if (!sent) return;
    clearTimeout(sent.timer);
    sent.held.forEach(function (button) { if (document.contains(button)) button.disabled = false; });
    if (sent.indicator) document.querySelectorAll(sent.indicator).forEach(function (el) { el.classList.remove("htmx-request"); });
  }
  function dropped() {
    if (!sentAction) return;
    endSentAction();
    pendingAction = null;
    showBanner(text("action_dropped", "The live connection dropped while your action was on its way: it may have been done. If it did not reach agentdesk within 10 seconds, it will not be done later. The page shows what happened once it is live again."));
  }
  function unanswered() {
    if (!sentAction) return;
    endSentAction();
    pendingAction = null;
    showBanner(text("action_unanswered", "Your action got no answer: the live connection dropped or the server is slow. It may have been done; the page shows what happened once it is live again."));
  }
  document.addEventListener("htmx:wsAfterMessage", function () {
    var mark = document.getElementById("socket-answer");
    if (!sentAction || !mark || mark.dataset.request !== sentAction.id) return;
    pendingAction = sentAction.focus;
    endSentAction();
    focusAfterAction();
  });

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

  // A push that redraws a form for the same contact (a failed Skip, a live update of the card
  // or of a monitor row) keeps the outcome chosen in it: a select marked data-keep-choice with
  // the contact it is for gets its value back when the new one has none chosen and offers it
  // (a Skip left unconfirmed preselects its own). Another contact starts afresh.
  var keptChoices = null;
  document.addEventListener("htmx:oobBeforeSwap", function (event) {
    var target = event.detail.target;
    keptChoices = [];
    if (!target || !target.querySelectorAll) return;
    target.querySelectorAll("select[data-keep-choice]").forEach(function (select) {
      if (select.value) keptChoices.push({ name: select.name, contact: select.dataset.keepChoice, value: select.value });
    });
  });
  document.addEventListener("htmx:oobAfterSwap", function (event) {
    var kept = keptChoices || [];
    keptChoices = null;
    if (!kept.length || !event.target || !event.target.querySelectorAll) return;
    event.target.querySelectorAll("select[data-keep-choice]").forEach(function (select) {
      kept.forEach(function (choice) {
        if (select.value || select.name !== choice.name || select.dataset.keepChoice !== choice.contact) return;
        if (select.querySelector("option[value=\"" + CSS.escape(choice.value) + "\"]")) select.value = choice.value;
      });
    });
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

  // The contact an action about the contact on screen is pressed for (its key and the
  // session version the page shows): the server refuses it when the screen has moved on.
  function shownValues() {
    var values = {};
    document.querySelectorAll("#contact-ref input").forEach(function (input) { values[input.name] = input.value; });
    return values;
  }

  // Confirm and dial: posted from the page itself, not from the button, because the live push
  // of the confirmation replaces the button before the answer arrives, and htmx fires the
  // answer's "dial" event on the element that made the request.
  // Page behaviour lives here, not in inline handlers: the Content-Security-Policy allows
  // scripts only from this site's files.
  document.addEventListener("click", function (event) {
    var dismiss = event.target.closest && event.target.closest("[data-dismiss]");
    if (dismiss && dismiss.parentElement) dismiss.parentElement.remove();
  });
  document.addEventListener("submit", function (event) {
    var form = event.target.closest && event.target.closest("form[data-show-spinner]");
    var spinner = form && form.querySelector(".spinner");
    if (spinner) spinner.hidden = false;
  });

  document.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest("[data-post-from-page]");
    if (!button || button.disabled) return;
    event.preventDefault();
    button.disabled = true;
    htmx.ajax("POST", button.dataset.postFromPage, { source: document.body, swap: "none", values: shownValues() });
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
      if (el.dataset.action) htmx.ajax("POST", el.dataset.action, { swap: "none", source: el, values: shownValues() });
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
