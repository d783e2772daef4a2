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

  function uploadAll(files) {
    list.innerHTML = "";
    files = Array.prototype.slice.call(files, 0);
    if (!files.length) return;
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
