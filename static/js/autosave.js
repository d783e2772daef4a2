// Autosave of each form[data-autosave] on the page: a self-review element, or the mentor's
// decision on each element, or each section of the moderators' report (htmx does the request;
// this file decides when, and keeps a draft in the browser so nothing typed is lost if the tab
// closes or the network drops). A form's status box is its hx-target; a form with a version
// input is told of conflicts; a submit button with data-check picks that choice, then saves.
(function () {
  "use strict";
  document.querySelectorAll("form[data-autosave]").forEach(autosave);

function autosave(form) {
  var key = form.dataset.draftKey;
  var versionInput = form.querySelector("input[name=version]");
  var timer = null, retryDelay = 2000, dirty = false;

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
    storeDraft();
    clearTimeout(timer);
    timer = setTimeout(save, delay);
  }

  form.addEventListener("input", function () { schedule(800); });
  form.addEventListener("change", function () { schedule(300); });
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var choice = event.submitter && event.submitter.dataset.check;
    if (choice) { document.getElementById(choice).checked = true; schedule(0); } else save();
  });

  form.addEventListener("htmx:beforeRequest", function () { status("<p>Saving…</p>"); });
  form.addEventListener("htmx:afterSwap", function () {
    var box = statusBox();
    if (!box || !versionInput) return;
    versionInput.value = box.dataset.version;
    if (box.hasAttribute("data-conflict")) {
      var keep = box.querySelector("[data-keep-mine]");
      keep.addEventListener("click", function () { versionInput.value = keep.dataset.keepMine; save(); });
      box.querySelector("[data-take-theirs]").addEventListener("click", function () {
        dirty = false;
        clearTimeout(timer);
        clearDraft();
      });
      var conflict = box.querySelector(".conflict");
      conflict.setAttribute("tabindex", "-1");
      conflict.focus();
    }
  });
  form.addEventListener("htmx:afterRequest", function (event) {
    var code = event.detail.xhr ? event.detail.xhr.status : 0;
    if (code === 200) { dirty = false; retryDelay = 2000; clearDraft(); return; }
    if (code === 0 || code >= 500) {
      status('<p class="save-status__error">Not saved: the connection was lost. Your work is kept in this browser; trying again in ' +
        Math.round(retryDelay / 1000) + " seconds.</p>");
      clearTimeout(timer);
      timer = setTimeout(save, retryDelay);
      retryDelay = Math.min(retryDelay * 2, 60000);
    }
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
}
})();
