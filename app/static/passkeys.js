// Passkeys (WebAuthn): create one on the passkeys page, sign in with one on the sign-in and second-factor pages.
// The server's options come as JSON with base64url strings; the browser's answer goes back the same way.
(function () {
  "use strict";

  function toBytes(text) {
    var base64 = text.replace(/-/g, "+").replace(/_/g, "/");
    while (base64.length % 4) base64 += "=";
    var binary = atob(base64);
    var bytes = new Uint8Array(binary.length);
    for (var i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
    return bytes.buffer;
  }

  function toText(buffer) {
    var bytes = new Uint8Array(buffer);
    var binary = "";
    for (var i = 0; i < bytes.length; i++) binary += String.fromCharCode(bytes[i]);
    return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }

  function descriptors(list) {
    return (list || []).map(function (item) {
      var descriptor = { type: item.type, id: toBytes(item.id) };
      if (item.transports) descriptor.transports = item.transports;
      return descriptor;
    });
  }

  function post(url, csrf, body) {
    return fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", Accept: "application/json", "X-CSRFToken": csrf },
      body: JSON.stringify(body || {}),
    }).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (data) {
        if (!response.ok) {
          var error = new Error(data.error || "");
          error.server = true;
          error.redirect = data.redirect;
          throw error;
        }
        return data;
      });
    });
  }

  function say(element, text, failed) {
    if (!element) return;
    element.textContent = text;
    element.classList.toggle("text-danger", !!failed);
    element.setAttribute("role", failed ? "alert" : "status");
  }

  function problem(root, error, fallback) {
    if (error && error.server && error.message) return error.message;
    if (error && (error.name === "NotAllowedError" || error.name === "AbortError")) return root.dataset.msgCancelled;
    if (error && error.name === "InvalidStateError" && root.dataset.msgExists) return root.dataset.msgExists;
    if (error && error.name === "SecurityError" && root.dataset.msgOrigin) return root.dataset.msgOrigin;
    return fallback;
  }

  function register(form) {
    var message = document.getElementById(form.getAttribute("aria-describedby") || "passkey-register-message") ||
      form.querySelector("[role=status],[role=alert]");
    var nameField = form.querySelector("input[name=name]");
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var name = nameField.value.trim();
      if (!name || name.length > 100) {
        say(message, form.dataset.msgName, true);
        nameField.setAttribute("aria-invalid", "true");
        nameField.focus();
        return;
      }
      nameField.removeAttribute("aria-invalid");
      if (!window.PublicKeyCredential || !navigator.credentials) {
        say(message, form.dataset.msgUnsupported, true);
        return;
      }
      var button = form.querySelector("button[type=submit]");
      button.disabled = true;
      say(message, form.dataset.msgWorking, false);
      post(form.dataset.optionsUrl, form.dataset.csrf)
        .then(function (options) {
          options.challenge = toBytes(options.challenge);
          options.user.id = toBytes(options.user.id);
          options.excludeCredentials = descriptors(options.excludeCredentials);
          return navigator.credentials.create({ publicKey: options });
        })
        .then(function (credential) {
          var response = credential.response;
          return post(form.dataset.url, form.dataset.csrf, {
            name: name,
            credential: {
              id: credential.id,
              rawId: toText(credential.rawId),
              type: credential.type,
              authenticatorAttachment: credential.authenticatorAttachment || undefined,
              clientExtensionResults: credential.getClientExtensionResults ? credential.getClientExtensionResults() : {},
              response: {
                clientDataJSON: toText(response.clientDataJSON),
                attestationObject: toText(response.attestationObject),
                transports: response.getTransports ? response.getTransports() : [],
              },
            },
          });
        })
        .then(function (data) {
          window.location.assign(data.redirect);
        })
        .catch(function (error) {
          button.disabled = false;
          say(message, problem(form, error, form.dataset.msgFailed), true);
        });
    });
  }

  function signIn(button) {
    var message = document.getElementById(button.getAttribute("aria-describedby"));
    button.addEventListener("click", function () {
      if (!window.PublicKeyCredential || !navigator.credentials) {
        say(message, button.dataset.msgUnsupported, true);
        return;
      }
      var mode = button.dataset.mode;
      button.disabled = true;
      say(message, button.dataset.msgWorking, false);
      post(button.dataset.optionsUrl, button.dataset.csrf, { mode: mode })
        .then(function (options) {
          options.challenge = toBytes(options.challenge);
          options.allowCredentials = descriptors(options.allowCredentials);
          return navigator.credentials.get({ publicKey: options });
        })
        .then(function (credential) {
          var response = credential.response;
          return post(button.dataset.url, button.dataset.csrf, {
            mode: mode,
            next: button.dataset.next || "",
            credential: {
              id: credential.id,
              rawId: toText(credential.rawId),
              type: credential.type,
              authenticatorAttachment: credential.authenticatorAttachment || undefined,
              clientExtensionResults: credential.getClientExtensionResults ? credential.getClientExtensionResults() : {},
              response: {
                clientDataJSON: toText(response.clientDataJSON),
                authenticatorData: toText(response.authenticatorData),
                signature: toText(response.signature),
                userHandle: response.userHandle ? toText(response.userHandle) : undefined,
              },
            },
          });
        })
        .then(function (data) {
          window.location.assign(data.redirect);
        })
        .catch(function (error) {
          if (error && error.redirect) {
            window.location.assign(error.redirect);
            return;
          }
          button.disabled = false;
          say(message, problem(button, error, button.dataset.msgFailed), true);
          button.focus();
        });
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("form[data-passkey=register]").forEach(register);
    document.querySelectorAll("button[data-passkey=sign-in]").forEach(signIn);
  });
})();
