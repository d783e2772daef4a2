// Several files at once, each with its own progress: one request per file, so a refused file
// does not hold up the others. Without this script the form still posts all the files at once.
(function () {
  "use strict";
  var form = document.querySelector("form[data-uploader]");
  if (!form) return;
  var input = form.querySelector("input[type=file]");
  var list = form.querySelector("[data-progress]");
  var announce = form.querySelector("[data-upload-status]"); // a live region: what screen readers hear
  var zone = form.querySelector("[data-dropzone]");
  var limit = parseInt(form.dataset.limit, 10);
  var token = form.querySelector("input[name=csrfmiddlewaretoken]").value;

  function line(file) {
    var li = document.createElement("li");
    li.className = "upload-progress__item";
    var name = document.createElement("span");
    name.textContent = file.name;
    var bar = document.createElement("progress");
    bar.max = 100; bar.value = 0;
    bar.setAttribute("aria-label", "Uploading " + file.name);
    var status = document.createElement("span");
    status.className = "upload-progress__status";
    status.textContent = "Waiting";
    li.append(name, bar, status);
    list.append(li);
    return { bar: bar, status: status, li: li };
  }

  function send(file, row) {
    return new Promise(function (resolve) {
      var data = new FormData();
      data.append("csrfmiddlewaretoken", token);
      data.append("files", file);
      form.querySelectorAll("input[name=elements]:checked").forEach(function (box) { data.append("elements", box.value); });
      var xhr = new XMLHttpRequest();
      xhr.open("POST", form.action);
      xhr.setRequestHeader("Accept", "application/json");
      xhr.upload.addEventListener("progress", function (event) {
        if (event.lengthComputable) {
          row.bar.value = Math.round((event.loaded / event.total) * 100);
          row.status.textContent = row.bar.value + "%";
        }
      });
      xhr.addEventListener("load", function () {
        var body = {};
        try { body = JSON.parse(xhr.responseText); } catch (e) {}
        var result = (body.results || [])[0] || { error: body.error || "The upload failed. Try again." };
        row.bar.value = 100;
        if (result.url) {
          row.status.textContent = "Added";
          row.li.classList.add("upload-progress__item--done");
        } else {
          row.status.textContent = result.error;
          row.li.classList.add("upload-progress__item--error");
          if (result.existing) {
            var link = document.createElement("a");
            link.href = result.existing;
            link.textContent = "Open the existing item";
            row.status.append(" ", link);
          }
        }
        resolve(Boolean(result.url));
      });
      xhr.addEventListener("error", function () {
        row.status.textContent = "The connection was lost: nothing was saved for this file. Try it again.";
        row.li.classList.add("upload-progress__item--error");
        resolve(false);
      });
      xhr.send(data);
    });
  }

  // The same error summary and field error as the page shows without this script.
  var NO_FILE = "Choose a file to upload";
  function clearError() {
    form.querySelectorAll(".error-summary, #" + input.id + "_error").forEach(function (el) { el.remove(); });
    input.closest(".form-group").classList.remove("form-group--error");
    input.removeAttribute("aria-invalid");
  }
  function showError(message) {
    clearError();
    var group = input.closest(".form-group");
    group.classList.add("form-group--error");
    var error = document.createElement("p");
    error.className = "error-message";
    error.id = input.id + "_error";
    var hidden = document.createElement("span");
    hidden.className = "visually-hidden";
    hidden.textContent = "Error:";
    error.append(hidden, " " + message);
    group.insertBefore(error, input);
    input.setAttribute("aria-invalid", "true");
    var described = (input.getAttribute("aria-describedby") || "").split(" ").filter(function (id) { return id && id !== error.id; });
    input.setAttribute("aria-describedby", described.concat(error.id).join(" "));
    var summary = document.createElement("div");
    summary.className = "error-summary";
    summary.setAttribute("role", "alert");
    summary.setAttribute("aria-labelledby", "error-summary-title");
    summary.tabIndex = -1;
    var title = document.createElement("h2");
    title.id = "error-summary-title";
    title.className = "error-summary__title";
    title.textContent = "There is a problem";
    var items = document.createElement("ul");
    items.className = "error-summary__list";
    var item = document.createElement("li");
    var link = document.createElement("a");
    link.href = "#" + input.id;
    link.textContent = group.querySelector("label").textContent.trim() + ": " + message;
    link.addEventListener("click", function (event) { event.preventDefault(); input.focus(); });
    item.append(link);
    items.append(item);
    summary.append(title, items);
    form.insertBefore(summary, zone);
    summary.focus();
  }

  function uploadAll(files) {
    list.innerHTML = "";
    files = Array.prototype.slice.call(files, 0);
    if (!files.length) { showError(NO_FILE); return; }
    clearError();
    if (files.length > limit) {
      var li = document.createElement("li");
      li.className = "upload-progress__item upload-progress__item--error";
      li.textContent = "Add up to " + limit + " files at a time.";
      list.append(li);
      announce.textContent = li.textContent;
      return;
    }
    var rows = files.map(line);
    announce.textContent = "Uploading " + files.length + " file" + (files.length > 1 ? "s" : "") + "…";
    Promise.all(files.map(function (file, i) { return send(file, rows[i]); })).then(function (outcomes) {
      var added = outcomes.filter(Boolean).length;
      announce.textContent = added + " of " + files.length + " file" + (files.length > 1 ? "s" : "") + " added." +
        (added < files.length ? " The list says why the others were not." : "");
      var done = document.createElement("li");
      var link = document.createElement("a");
      link.href = window.location.pathname;
      link.textContent = outcomes.every(Boolean) ? "All added: show the updated portfolio" : "Show the updated portfolio";
      done.append(link);
      list.append(done);
      input.value = "";
    });
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    uploadAll(input.files);
  });
  ["dragenter", "dragover"].forEach(function (type) {
    zone.addEventListener(type, function (event) { event.preventDefault(); zone.classList.add("dropzone--over"); });
  });
  ["dragleave", "drop"].forEach(function (type) {
    zone.addEventListener(type, function () { zone.classList.remove("dropzone--over"); });
  });
  zone.addEventListener("drop", function (event) {
    event.preventDefault();
    uploadAll(event.dataTransfer.files);
  });
})();
