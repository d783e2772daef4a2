// The new API token's "Copy" button (templates/accounts/api_token_created.html): shown only where
// the clipboard can be written; says in its live region whether the copy worked.
(function () {
  "use strict";
  document.querySelectorAll("[data-copy]").forEach(function (button) {
    if (!navigator.clipboard || !window.isSecureContext) return;
    var source = document.getElementById(button.getAttribute("data-copy"));
    var status = button.parentElement.querySelector("[data-copy-status]");
    button.hidden = false;
    button.addEventListener("click", function () {
      navigator.clipboard.writeText(source.textContent.trim()).then(
        function () { status.textContent = "Token copied."; },
        function () { status.textContent = "Could not copy: select the token and copy it yourself."; }
      );
    });
  });
})();
