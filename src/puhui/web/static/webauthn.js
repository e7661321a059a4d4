// Security keys (WebAuthn): registration on /console/security, assertion at login.
// The server sends the options as JSON (base64url fields); the browser's answers go back the
// same way. No inline script: the page includes this file.
(function () {
  "use strict";
  function fromB64url(s) {
    s = s.replace(/-/g, "+").replace(/_/g, "/");
    while (s.length % 4) s += "=";
    var bin = atob(s), out = new Uint8Array(bin.length);
    for (var i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
    return out.buffer;
  }
  function toB64url(buf) {
    var bytes = new Uint8Array(buf), bin = "";
    for (var i = 0; i < bytes.length; i++) bin += String.fromCharCode(bytes[i]);
    return btoa(bin).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }
  function post(url, csrf, body) {
    return fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf },
      body: body === undefined ? "{}" : JSON.stringify(body),
    }).then(function (r) {
      if (!r.ok) throw new Error("HTTP " + r.status);
      return r.json();
    });
  }
  function fail(button) {
    var error = button.parentNode.parentNode.querySelector("[data-webauthn-error]");
    if (error) error.hidden = false;
    button.disabled = false;
  }
  function register(button) {
    var csrf = button.dataset.csrf;
    post("/console/security/webauthn/options", csrf).then(function (o) {
      o.challenge = fromB64url(o.challenge);
      o.user.id = fromB64url(o.user.id);
      (o.excludeCredentials || []).forEach(function (c) { c.id = fromB64url(c.id); });
      return navigator.credentials.create({ publicKey: o });
    }).then(function (cred) {
      var label = document.getElementById("key-label");
      return post("/console/security/webauthn/register", csrf, {
        label: label ? label.value : "",
        credential: {
          id: cred.id, rawId: toB64url(cred.rawId), type: cred.type,
          response: {
            clientDataJSON: toB64url(cred.response.clientDataJSON),
            attestationObject: toB64url(cred.response.attestationObject),
            transports: cred.response.getTransports ? cred.response.getTransports() : [],
          },
        },
      });
    }).then(function () { window.location.reload(); }, function () { fail(button); });
  }
  function login(button) {
    var csrf = button.dataset.csrf;
    post("/console/login/webauthn/options", csrf).then(function (o) {
      o.challenge = fromB64url(o.challenge);
      (o.allowCredentials || []).forEach(function (c) { c.id = fromB64url(c.id); });
      return navigator.credentials.get({ publicKey: o });
    }).then(function (cred) {
      return post("/console/login/webauthn", csrf, {
        credential: {
          id: cred.id, rawId: toB64url(cred.rawId), type: cred.type,
          response: {
            clientDataJSON: toB64url(cred.response.clientDataJSON),
            authenticatorData: toB64url(cred.response.authenticatorData),
            signature: toB64url(cred.response.signature),
            userHandle: cred.response.userHandle ? toB64url(cred.response.userHandle) : null,
          },
        },
      });
    }).then(function (answer) { window.location.assign(answer.next); }, function () { fail(button); });
  }
  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-webauthn]");
    if (!button) return;
    button.disabled = true;
    if (button.dataset.webauthn === "register") register(button); else login(button);
  });
})();
