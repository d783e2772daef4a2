// Visit notes that survive a school without signal. Each note the form saves gets an id of its
// own and is kept in this browser until the portal has it; the page lists the notes not yet sent
// and sends them in order, one at a time, when it opens and whenever the connection returns. The
// portal saves a note once per id, so a note sent again (its answer lost on the way) is not
// doubled. The service worker (moderation/visit-worker.js) lets this page open offline.
// Without this script the form posts as it always did.
(function () {
  "use strict";
  var form = document.querySelector("form[data-note-form]");
  if (!form) return;
  var KEY = "iqm.visit-notes";
  var sendUrl = form.dataset.sendUrl, user = form.dataset.user;
  var sentList = document.getElementById("visit-notes");
  var queueBox = document.getElementById("note-queue");
  var queueList = queueBox.querySelector("ol");
  var statusBox = document.getElementById("note-status");
  // By name, not through form.elements: the form has a field called "elements".
  function field(name) { return form.querySelector("[name=" + name + "]"); }
  var sending = false, signedOut = false, sentSome = false, retry = null, retryDelay = 5000;

  // The queue: every note of this browser not yet sent, oldest first, with its visit's address
  // and its author. Only the signed-in person's own notes are listed and sent; another person's
  // stay on the device, untouched, until their author signs in here again and sends them.
  function load() {
    try { return JSON.parse(localStorage.getItem(KEY)) || []; } catch (e) { return []; }
  }
  function store(all) { localStorage.setItem(KEY, JSON.stringify(all)); }
  function waiting() {
    return load().filter(function (n) { return n.url === sendUrl && n.user === user; });
  }
  function update(id, change) {
    var all = load();
    if (change) all.forEach(function (n) { if (n.id === id) change(n); });
    else all = all.filter(function (n) { return n.id !== id; });
    store(all);
  }
  try {
    store(load());
  } catch (e) { return; } // no storage here: the form posts as it always did

  function newId() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    var b = crypto.getRandomValues(new Uint8Array(16));
    b[6] = (b[6] & 15) | 64;
    b[8] = (b[8] & 63) | 128;
    var h = Array.prototype.map.call(b, function (x) { return (x + 256).toString(16).slice(1); });
    return [h.slice(0, 4), h.slice(4, 6), h.slice(6, 8), h.slice(8, 10), h.slice(10)]
      .map(function (part) { return part.join(""); }).join("-");
  }
  function plural(n) { return n + (n === 1 ? " note" : " notes"); }
  function csrfToken() {
    var match = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
    return match ? decodeURIComponent(match[1]) : field("csrfmiddlewaretoken").value;
  }

  // What the page shows: the waiting notes, and one status line a screen reader announces.
  function element(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text) node.textContent = text;
    return node;
  }
  // Each note's buttons name the note too, for those who hear them out of their list item.
  function button(text, hidden) {
    var node = element("button", "button button--secondary", text);
    node.type = "button";
    node.appendChild(element("span", "visually-hidden", hidden));
    return node;
  }
  function item(note) {
    var li = element("li", "comment note-queue__item");
    var meta = element("p", "comment__meta");
    meta.appendChild(element("strong", "", note.title));
    meta.appendChild(document.createTextNode(" · "));
    meta.appendChild(element("span", note.error ? "note-queue__state note-queue__state--error" : "note-queue__state",
      note.error ? "Not sent: " + note.error : "Waiting to send"));
    li.appendChild(meta);
    li.appendChild(element("p", "note-queue__text", note.notes));
    if (note.error) {
      var again = button("Try again", " to send the note “" + note.title + "”");
      again.addEventListener("click", function () {
        update(note.id, function (n) { delete n.error; });
        signedOut = false;
        flush();
      });
      var discard = button("Discard this note", " “" + note.title + "”");
      discard.addEventListener("click", function () {
        update(note.id);
        render();
      });
      li.appendChild(again);
      li.appendChild(document.createTextNode(" "));
      li.appendChild(discard);
    }
    return li;
  }
  function status(text, link) {
    var current = statusBox.textContent;
    var next = text + (link ? " " + link.text : "");
    if (current === next) return;
    statusBox.textContent = text;
    if (link) {
      statusBox.appendChild(document.createTextNode(" "));
      var a = element("a", "", link.text);
      a.href = link.href;
      statusBox.appendChild(a);
    }
  }
  function render() {
    var notes = waiting();
    var pending = notes.filter(function (n) { return !n.error; }).length;
    var failed = notes.length - pending;
    // Focus on a button of the list would fall to the page's start when the list is rebuilt: it
    // goes to the same place in the new list (the next note's button), or else to the status.
    var focused = Array.prototype.indexOf.call(queueList.children,
      document.activeElement && document.activeElement.closest("li"));
    queueList.textContent = "";
    notes.forEach(function (n) { queueList.appendChild(item(n)); });
    queueBox.hidden = notes.length === 0;
    if (pending && signedOut) {
      status("Not signed in – " + plural(pending) + " waiting to send.", {
        text: "Sign in to send them",
        href: form.dataset.loginUrl + "?next=" + encodeURIComponent(location.pathname),
      });
    } else if (pending && (!navigator.onLine || retry)) {
      status("Offline – " + plural(pending) + " waiting to send");
    } else if (pending) {
      status("Sending " + plural(pending) + "…");
    } else if (failed) {
      status(plural(failed) + " could not be sent: see “Not yet sent”.");
    } else if (sentSome) {
      status("All notes sent");
    } else {
      status("");
    }
    if (focused < 0) return;
    var place = queueList.children[Math.min(focused, queueList.children.length - 1)];
    var next = place && place.querySelector("button");
    if (next) next.focus();
    else if (statusBox.textContent) statusBox.focus();
    else field("kind").focus();
  }

  // Sending: the oldest waiting note first, the next once the portal has answered.
  function flush() {
    clearTimeout(retry);
    retry = null;
    if (sending) return;
    var next = waiting().filter(function (n) { return !n.error; })[0];
    if (!next || signedOut || !navigator.onLine) { render(); return; }
    sending = true;
    render();
    var body = new FormData();
    next.fields.forEach(function (pair) { body.append(pair[0], pair[1]); });
    body.append("client_id", next.id);
    body.append("author", next.user);
    fetch(sendUrl, {
      method: "POST",
      body: body,
      credentials: "same-origin",
      redirect: "manual",
      headers: { "X-CSRFToken": csrfToken(), Accept: "application/json" },
    }).then(function (response) {
      // Signed out (sent to the sign-in page), or someone else signed in meanwhile.
      if (response.type === "opaqueredirect" || response.status === 409) return { signedOut: true };
      if (response.status >= 500) throw new Error("The portal did not answer.");
      return response.json().then(function (data) {
        return { ok: response.ok, data: data };
      }, function () {
        return { ok: false, data: { error: "the portal refused it (error " + response.status + ")." } };
      });
    }).then(function (answer) {
      sending = false;
      retryDelay = 5000;
      if (answer.signedOut) { signedOut = true; render(); return; }
      if (answer.ok) {
        update(next.id);
        var empty = sentList.querySelector("[data-no-notes]");
        if (empty) empty.remove();
        // A note sent before whose answer was lost may be listed already.
        if (!document.getElementById("note-" + answer.data.id)) {
          sentList.insertAdjacentHTML("beforeend", answer.data.html);
        }
        sentSome = true;
      } else {
        update(next.id, function (n) { n.error = answer.data.error; });
      }
      flush();
    }).catch(function () {
      // No connection after all (or a server error): try again later, less and less often.
      sending = false;
      retry = setTimeout(flush, retryDelay);
      retryDelay = Math.min(retryDelay * 2, 60000);
      render();
    });
  }

  form.addEventListener("submit", function (event) {
    if (!form.checkValidity()) {
      if (navigator.onLine) return; // the portal explains what is missing, as without this script
      event.preventDefault();
      form.reportValidity();
      return;
    }
    var fields = [];
    new FormData(form).forEach(function (value, name) {
      if (name !== "csrfmiddlewaretoken" && name !== "client_id" && name !== "note") fields.push([name, value]);
    });
    var kind = field("kind");
    var note = {
      id: newId(),
      user: user,
      url: sendUrl,
      title: kind.options[kind.selectedIndex].text + ": " + field("who").value,
      notes: field("notes").value,
      fields: fields,
    };
    try {
      store(load().concat([note]));
    } catch (e) {
      return; // storage full: the form posts the note itself
    }
    event.preventDefault();
    form.reset();
    sentSome = false;
    flush();
    field("kind").focus();
  });

  window.addEventListener("online", flush);
  window.addEventListener("offline", render);
  window.addEventListener("storage", function (event) { if (event.key === KEY) render(); });
  flush();

  // The service worker keeps this page and its files for opening offline.
  if ("serviceWorker" in navigator && form.dataset.worker) {
    navigator.serviceWorker.register(form.dataset.worker, { scope: location.pathname })
      .then(function () { return navigator.serviceWorker.ready; })
      .then(function (registration) {
        var urls = [location.href];
        document.querySelectorAll("link[rel~=stylesheet], link[rel~=icon], script[src], img[src]")
          .forEach(function (node) { urls.push(node.href || node.src); });
        registration.active.postMessage({ type: "keep", user: user, urls: urls });
      })
      .catch(function () { /* no service worker: the page still queues and sends notes */ });
  }
})();
