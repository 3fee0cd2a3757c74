// Passkeys (WebAuthn) for two-factor authentication: adding one in settings, using one at sign-in.
// The server sends the options as JSON with base64url strings (py_webauthn's options_to_json); this
// turns them into the ArrayBuffers the browser wants and the browser's answer back into JSON.
const b64 = {
  toBuffer(text) {
    const base = text.replace(/-/g, "+").replace(/_/g, "/");
    const raw = atob(base + "===".slice((base.length + 3) % 4));
    return Uint8Array.from(raw, (c) => c.charCodeAt(0)).buffer;
  },
  fromBuffer(buffer) {
    let text = "";
    new Uint8Array(buffer).forEach((byte) => { text += String.fromCharCode(byte); });
    return btoa(text).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  },
};

function descriptors(list) {
  return (list || []).map((item) => ({ ...item, id: b64.toBuffer(item.id) }));
}

async function post(url, csrf, body) {
  const response = await fetch(url, {
    method: "POST", credentials: "same-origin",
    headers: { Accept: "application/json", "Content-Type": "application/json", "X-CSRFToken": csrf },
    body: JSON.stringify(body || {}),
  });
  const data = await response.json().catch(() => ({}));
  if (!response.ok) throw new Error((data.error && data.error.message) || response.statusText);
  return data;
}

function credentialJSON(credential) {
  const response = {};
  for (const name of ["clientDataJSON", "attestationObject", "authenticatorData", "signature", "userHandle"]) {
    if (credential.response[name]) response[name] = b64.fromBuffer(credential.response[name]);
  }
  if (credential.response.getTransports) response.transports = credential.response.getTransports();
  return { id: credential.id, rawId: b64.fromBuffer(credential.rawId), type: credential.type, response,
           clientExtensionResults: credential.getClientExtensionResults(),
           authenticatorAttachment: credential.authenticatorAttachment || undefined };
}

async function addPasskey(box) {
  const status = box.querySelector(".passkey-status");
  const csrf = box.dataset.csrf;
  try {
    const options = await post(box.dataset.optionsUrl, csrf);
    options.challenge = b64.toBuffer(options.challenge);
    options.user.id = b64.toBuffer(options.user.id);
    options.excludeCredentials = descriptors(options.excludeCredentials);
    const credential = await navigator.credentials.create({ publicKey: options });
    const name = box.querySelector("input[name=passkey-name]").value;
    const done = await post(box.dataset.addUrl, csrf, { credential: credentialJSON(credential), name });
    if (done.codes && done.codes.length) sessionStorage.setItem("recovery-codes", JSON.stringify(done.codes));
    window.location.assign(done.next);
  } catch (error) {
    status.textContent = `${status.dataset.failed} ${error.message || ""}`;
  }
}

async function usePasskey(box) {
  const status = box.querySelector(".passkey-status");
  try {
    const options = await post(box.dataset.optionsUrl, box.dataset.csrf);
    options.challenge = b64.toBuffer(options.challenge);
    options.allowCredentials = descriptors(options.allowCredentials);
    const credential = await navigator.credentials.get({ publicKey: options });
    const done = await post(box.dataset.checkUrl, box.dataset.csrf, { credential: credentialJSON(credential) });
    window.location.assign(done.next);
  } catch (error) {
    status.textContent = `${status.dataset.failed} ${error.message || ""}`;
  }
}

function showKeptCodes() {
  const kept = sessionStorage.getItem("recovery-codes");
  const section = document.getElementById("recovery-codes");
  if (!kept || !section) return;
  sessionStorage.removeItem("recovery-codes");
  const list = section.querySelector("ul");
  for (const code of JSON.parse(kept)) {
    const item = document.createElement("li");
    const text = document.createElement("code");
    text.textContent = code;
    item.append(text);
    list.append(item);
  }
  section.hidden = false;
}

for (const box of document.querySelectorAll(".passkey-add")) {
  if (!window.PublicKeyCredential) { box.hidden = true; continue; }
  box.querySelector(".passkey-create").addEventListener("click", () => addPasskey(box));
}
for (const box of document.querySelectorAll(".passkey-use")) {
  if (!window.PublicKeyCredential) { box.hidden = true; continue; }
  box.querySelector("button").addEventListener("click", () => usePasskey(box));
}
showKeptCodes();
