// Around django-otp-webauthn's scripts (templates/accounts/two_factor/passkey_scripts.html).
(function () {
  "use strict";

  // A passkey added: go where the server says (the new recovery codes, or back).
  document.addEventListener("otp_webauthn.register_complete", function (event) {
    var response = event.detail && event.detail.response;
    if (response && response.redirect_url) {
      window.location.assign(response.redirect_url);
    }
  });

  // A passkey the browser could not use (cancelled, none on this device, timed out): say what
  // to do instead. Refusals from the server already say it in their own words.
  document.addEventListener("otp_webauthn.verification_failed", function (event) {
    if (!event.detail || !event.detail.error) {
      return;
    }
    var status = document.getElementById("passkey-verification-status-message");
    if (status) {
      status.textContent =
        status.dataset.failed ||
        "Your passkey could not be used: it was cancelled, or is not on this device. " +
          "Try again, or enter a code from your authenticator app or a recovery code instead.";
    }
  });
})();
