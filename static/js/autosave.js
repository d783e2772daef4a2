// Autosave of each form[data-autosave] on the page: a self-review element, or the mentor's
// decision on each element, or each section of the moderators' report (htmx does the request;
// this file decides when, and keeps a draft in the browser so nothing typed is lost if the tab
// closes or the network drops). A form's status box is its hx-target; a form with a version
// input is told of conflicts; a submit button with data-check picks the radio of that value,
// then saves. Any other form on the page (Validate, Return) waits until every pending save has
// been sent and answered, so a last edit is never left behind by the page that follows.
(function () {
  "use strict";
  var savers = [];
  document.querySelectorAll("form[data-autosave]").forEach(function (form) {
    savers.push(autosave(form));
  });
  if (savers.length) document.addEventListener("submit", submitAfterSaves);

function submitAfterSaves(event) {
  var other = event.target;
  if (other.hasAttribute("data-autosave")) return;
  var pending = savers.filter(function (saver) { return saver.pending(); });
  if (!pending.length) return;
  event.preventDefault();
  var left = pending.length, failed = false;
  pending.forEach(function (saver) {
    saver.flush(function (saved) {
      failed = failed || !saved;
      if (!--left && !failed) other.requestSubmit(event.submitter);
    });
  });
}

function autosave(form) {
  var key = form.dataset.draftKey;
  var versionInput = form.querySelector("input[name=version]");
  var timer = null, retryDelay = 2000, dirty = false;
  // Typing counts edits; an answered save clears `dirty` only if nothing was typed since it was
  // sent. Flush callbacks wait for the next save to start (`waiting`), then for its answer.
  var edits = 0, sentEdits = 0, inFlight = false, waiting = [], answering = [];
  var failing = false;  // the last save found no network or no server able to save it

  function fields() {
    var pairs = [];
    new FormData(form).forEach(function (value, name) {
      if (name !== "csrfmiddlewaretoken" && name !== "version") pairs.push([name, value]);
    });
    return pairs;
  }
  function storeDraft() {
    try {
      var base = versionInput ? versionInput.value : null;
      localStorage.setItem(key, JSON.stringify({ base: base, fields: fields() }));
    } catch (e) { /* storage full or disabled: the server save still runs */ }
  }
  function clearDraft() { try { localStorage.removeItem(key); } catch (e) {} }
  function statusBox() { return document.querySelector(form.getAttribute("hx-target")); }
  function status(html) {
    var box = statusBox();
    if (box) box.innerHTML = html;
  }
  function save() {
    clearTimeout(timer);
    htmx.trigger(form, "autosave");
  }
  function schedule(delay) {
    dirty = true;
    edits++;
    storeDraft();
    clearTimeout(timer);
    timer = setTimeout(save, delay);
  }

  form.addEventListener("input", function () { schedule(800); });
  form.addEventListener("change", function () { schedule(300); });
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var choice = event.submitter && event.submitter.dataset.check;
    if (choice) {
      form.querySelector('input[type=radio][value="' + CSS.escape(choice) + '"]').checked = true;
      schedule(0);
    } else save();
  });

  form.addEventListener("htmx:beforeRequest", function () {
    inFlight = true;
    sentEdits = edits;
    answering = answering.concat(waiting);
    waiting = [];
    status("<p>Saving…</p>");
  });
  form.addEventListener("htmx:afterSwap", function () {
    var box = statusBox();
    if (!box || !versionInput) return;
    versionInput.value = box.dataset.version;
    if (box.hasAttribute("data-conflict")) {
      var keep = box.querySelector("[data-keep-mine]");
      keep.addEventListener("click", function () { versionInput.value = keep.dataset.keepMine; save(); });
      box.querySelector("[data-take-theirs]").addEventListener("click", function (event) {
        // Their version is on the server: load it afresh (the link may be this very page, where
        // following it would only scroll), at its section.
        event.preventDefault();
        dirty = false;
        clearTimeout(timer);
        clearDraft();
        history.replaceState(history.state, "", event.currentTarget.href);
        location.reload();
      });
      var conflict = box.querySelector(".conflict");
      conflict.setAttribute("tabindex", "-1");
      conflict.focus();
    }
  });
  form.addEventListener("htmx:afterRequest", function (event) {
    var code = event.detail.xhr ? event.detail.xhr.status : 0;
    inFlight = false;
    var answered = answering;
    answering = [];
    if ((code === 200 || code === 422) && edits === sentEdits) dirty = false;
    if (code === 200) retryDelay = 2000;
    if (code === 200 && !dirty) clearDraft();
    if (code === 401) {
      // The session ended (idle or absolute timeout): the answer says so, with a link to sign in
      // and come back here, where the draft kept in this browser is put back and saved. Leaving
      // for that link loses nothing, so it is not questioned (beforeunload).
      storeDraft();
      dirty = false;
      status(event.detail.xhr.responseText);
    }
    failing = code === 0 || code >= 500;
    if (failing) {
      // The network is down (0) or the server could not save it (a 503: its database is down).
      // The draft stays in localStorage; it is sent again after a growing delay, or at once when
      // the browser comes back online or another request on the page succeeds.
      status('<p class="save-status__error">Not saved yet — will retry in ' + Math.round(retryDelay / 1000) +
        " seconds. " + (code === 0 ? "The connection was lost" : "The portal could not save it just now") +
        "; your work is kept in this browser.</p>");
      clearTimeout(timer);
      timer = setTimeout(save, retryDelay);
      retryDelay = Math.min(retryDelay * 2, 60000);
    }
    if (code !== 200 && answered.length) {
      var box = statusBox();
      box.insertAdjacentHTML("afterbegin", '<p class="save-status__error">Nothing else was done, as this is not saved.</p>');
      box.setAttribute("tabindex", "-1");
      box.focus();
    }
    answered.forEach(function (done) { done(code === 200); });
  });

  function retryNow() {
    if (!failing || inFlight) return;
    clearTimeout(timer);
    save();
  }
  window.addEventListener("online", retryNow);
  document.addEventListener("htmx:afterRequest", function (event) {
    var xhr = event.detail.xhr;
    if (event.target !== form && xhr && xhr.status >= 200 && xhr.status < 300) retryNow();
  });

  window.addEventListener("beforeunload", function (event) {
    if (dirty) { storeDraft(); event.preventDefault(); event.returnValue = ""; }
  });

  // Character counts, as the GOV.UK character count component.
  form.querySelectorAll("[data-character-count] textarea").forEach(function (area) {
    var limit = parseInt(area.dataset.count, 10);
    var out = document.getElementById(area.id + "-count");
    function update() {
      var left = limit - area.value.length;
      out.textContent = left >= 0 ? "You have " + left.toLocaleString("en-GB") + " characters remaining"
        : "You have " + (-left).toLocaleString("en-GB") + " characters too many";
      out.classList.toggle("character-count--over", left < 0);
    }
    area.addEventListener("input", update);
    update();
  });

  // A draft left by a closed tab or a lost connection is put back and saved; if someone else
  // saved in the meantime, the server answers with both versions rather than overwriting.
  var draft = null;
  try { draft = JSON.parse(localStorage.getItem(key) || "null"); } catch (e) {}
  if (draft && JSON.stringify(draft.fields) !== JSON.stringify(fields())) {
    var seen = {};
    draft.fields.forEach(function (pair) {
      var el = form.elements[pair[0]];
      if (!el) return;
      if (el instanceof RadioNodeList || (el.length && el[0] && el[0].type === "radio")) {
        Array.prototype.forEach.call(el, function (radio) { radio.checked = radio.value === pair[1]; });
      } else { el.value = pair[1]; }
      seen[pair[0]] = true;
    });
    if (versionInput) versionInput.value = draft.base;
    status("<p>Your unsaved changes from earlier have been put back. Saving…</p>");
    schedule(0);
  } else {
    clearDraft();
  }

  // flush sends what is waiting now and calls done(saved) once it is answered.
  return {
    pending: function () { return dirty || inFlight; },
    flush: function (done) {
      if (dirty) { waiting.push(done); save(); } else answering.push(done);
    }
  };
}
})();
