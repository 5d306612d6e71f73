// The wrap-up panel beside the contact card: reloaded when another dial attempt reaches the
// screen (live pushes re-render the card, never the panel, so what the agent types stays),
// the callback window shown in the agent's own time beside the contact's, the B shortcut,
// and focus after each wrap-up step.
(function () {
  "use strict";

  var loadingFor = null;

  function syncPanel() {
    var panel = document.getElementById("wrapup-panel");
    if (!panel || !window.htmx) return;
    var card = document.getElementById("contact-card");
    var want = card ? card.dataset.callId || "" : "";
    if (card && !want) {
      // A contact shown before it had a call id: the panel gives it one; load it once.
      if (loadingFor !== null || panel.dataset.lcmKey === card.dataset.lcmKey) return;
      want = "new:" + card.dataset.lcmKey;
    }
    if (panel.dataset.callId === want || loadingFor === want) return;
    loadingFor = want;
    // The same contact on another number keeps the comment typed for it.
    var sameContact = card && panel.dataset.lcmKey && card.dataset.lcmKey === panel.dataset.lcmKey;
    var box = document.getElementById("wrapup-comment");
    var comment = sameContact && box ? box.value : "";
    var url = panel.dataset.panelUrl + (comment ? "?comment=" + encodeURIComponent(comment) : "");
    htmx.ajax("GET", url, { target: "#wrapup-panel", swap: "outerHTML" }).then(function () {
      loadingFor = null;
      showYourTimes();
    }, function () { loadingFor = null; });
  }

  // Intl knows every zone's offset at a moment; a wall-clock time in a zone is found from it
  // (twice, for the hours around a clock change).
  function offsetMinutes(zone, moment) {
    var parts = {};
    new Intl.DateTimeFormat("en-US", {
      timeZone: zone, hourCycle: "h23", year: "numeric", month: "2-digit", day: "2-digit",
      hour: "2-digit", minute: "2-digit", second: "2-digit"
    }).formatToParts(moment).forEach(function (p) { parts[p.type] = p.value; });
    var asUtc = Date.UTC(+parts.year, +parts.month - 1, +parts.day, +parts.hour, +parts.minute, +parts.second);
    return (asUtc - moment.getTime()) / 60000;
  }
  function wallToMoment(wall, zone) {
    var m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})/.exec(wall || "");
    if (!m) return null;
    var guess = Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5]);
    var offset = offsetMinutes(zone, new Date(guess));
    var moment = guess - offset * 60000;
    var again = offsetMinutes(zone, new Date(moment));
    if (again !== offset) moment = guess - again * 60000;
    return new Date(moment);
  }

  function showYourTimes() {
    var clock = document.getElementById("callback-clock");
    var form = document.getElementById("callback-form");
    if (!clock || !form) return;
    var zones = {};
    try { zones = JSON.parse(clock.dataset.zones || "{}"); } catch (e) { zones = {}; }
    var mode = form.querySelector("[name=mode_id]");
    var theirZone = (mode && zones[mode.value]) || clock.dataset.theirZone;
    var yourZone = clock.dataset.yourZone;
    var label = clock.dataset.yourTimeLabel || "your time";
    form.querySelectorAll("output[data-your-time-for]").forEach(function (out) {
      var input = document.getElementById(out.dataset.yourTimeFor);
      out.textContent = "";
      if (!input || !theirZone || !yourZone) return;
      var moment;
      try { moment = wallToMoment(input.value, theirZone); } catch (e) { moment = null; }
      if (!moment) return;
      var text = new Intl.DateTimeFormat(document.documentElement.lang || undefined, {
        timeZone: yourZone, weekday: "short", day: "2-digit", month: "2-digit", hour: "2-digit", minute: "2-digit"
      }).format(moment);
      out.textContent = "= " + text + " " + label;
    });
  }

  document.addEventListener("input", function (event) {
    if (event.target && event.target.closest && event.target.closest("#callback-form")) showYourTimes();
  });
  document.addEventListener("change", function (event) {
    if (event.target && event.target.closest && event.target.closest("#callback-form")) showYourTimes();
  });

  document.addEventListener("keydown", function (event) {
    if (event.ctrlKey || event.metaKey || event.repeat) return;
    var target = event.target;
    var typing = target && (target.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName));
    if (typing && !event.altKey) return;
    var key = (event.key || "").toLowerCase();
    if (event.altKey && event.code && event.code.indexOf("Key") === 0) key = event.code.slice(3).toLowerCase();
    if (key !== "b") return;
    var first = document.querySelector("#callback-form input[name=kind]:checked, #callback-form input[name=kind]");
    if (!first) return;
    event.preventDefault();
    first.focus();
    first.scrollIntoView({ block: "nearest" });
  });

  // After a wrap-up step: the first field with an error, else the step's own button (a new
  // number on screen: the contact card).
  var stepFor = null;
  document.addEventListener("htmx:beforeRequest", function (event) {
    var elt = event.detail.elt;
    var panel = document.getElementById("wrapup-panel");
    if (elt && panel && panel.contains(elt) && elt.tagName === "FORM") {
      stepFor = elt.id || (elt.classList.contains("dial-other") ? "dial-other" : null);
    }
  });
  document.addEventListener("htmx:afterRequest", function () {
    var step = stepFor;
    stepFor = null;
    if (!step) return;
    setTimeout(function () {
      showYourTimes();
      if (step === "dial-other") {
        var card = document.getElementById("contact-card");
        if (card) card.focus();
        return;
      }
      var form = document.getElementById(step);
      if (!form) return;
      var invalid = form.querySelector(".invalid input, .invalid select, .invalid textarea");
      var button = form.querySelector("button[type=submit]");
      var target = invalid || button;
      if (target) target.focus();
    }, 0);
  });

  document.addEventListener("htmx:oobAfterSwap", syncPanel);
  document.addEventListener("htmx:wsAfterMessage", syncPanel);
  document.addEventListener("htmx:afterSettle", syncPanel);
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", syncPanel);
  else syncPanel();
})();
