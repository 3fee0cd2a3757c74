// Pictures and files in the composer: paste or drop them into a textarea[data-composer-input], or pick one
// with a [data-composer-action="image"|"upload"] button. Each file goes to POST /api/v1/uploads (XHR, so the
// progress shows in a <progress> and a status line read by screen readers); a placeholder marks the spot
// meanwhile and is replaced by the markdown: ![name](url) for a picture (a large one as its thumbnail
// linking to the full picture), [name](url) for a file. The composer's data-board-id, when set, is sent as
// board_id so the board's rules apply at once. Texts come from the page ([data-upload-labels]) for translation.
(() => {
  const FALLBACK = {
    uploading: "Uploading {name}…", done: "{name} uploaded.", failed: "{name} could not be uploaded: {error}",
    network: "The connection failed.",
  };

  const labelsFor = (form) => {
    const holder = (form && form.querySelector("[data-upload-labels]")) || document.querySelector("[data-upload-labels]");
    const labels = { ...FALLBACK };
    if (holder) {
      Object.keys(FALLBACK).forEach((key) => {
        const value = holder.getAttribute(`data-label-${key}`);
        if (value) labels[key] = value;
      });
    }
    return labels;
  };

  const fill = (text, values) => text.replace(/\{(\w+)\}/g, (m, key) => (key in values ? values[key] : m));

  const csrfToken = (form) => {
    const input = form && form.querySelector("input[name=csrf_token]");
    if (input) return input.value;
    const meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.content : "";
  };

  // The <progress> and status line of a composer (made when the page did not render them).
  const statusParts = (textarea) => {
    const form = textarea.form || textarea.parentElement;
    let box = form.querySelector("[data-upload-status-box]");
    if (!box) {
      box = document.createElement("div");
      box.setAttribute("data-upload-status-box", "");
      box.className = "upload-status";
      textarea.insertAdjacentElement("afterend", box);
    }
    let progress = box.querySelector("progress");
    if (!progress) {
      progress = document.createElement("progress");
      progress.max = 100;
      progress.hidden = true;
      box.appendChild(progress);
    }
    let status = box.querySelector("[role=status]");
    if (!status) {
      status = document.createElement("span");
      status.setAttribute("role", "status");
      status.setAttribute("aria-live", "polite");
      box.appendChild(status);
    }
    return { progress, status };
  };

  const cleanName = (name) => (name || "file").replace(/[[\]()<>`*_"\\]/g, "").trim() || "file";

  const insertAt = (textarea, text) => {
    const start = textarea.selectionStart ?? textarea.value.length;
    const end = textarea.selectionEnd ?? start;
    textarea.value = textarea.value.slice(0, start) + text + textarea.value.slice(end);
    const caret = start + text.length;
    textarea.setSelectionRange(caret, caret);
    textarea.dispatchEvent(new Event("input", { bubbles: true }));
  };

  const replaceText = (textarea, from, to) => {
    const at = textarea.value.indexOf(from);
    if (at < 0) {
      insertAt(textarea, to);
      return;
    }
    const caret = textarea.selectionStart;
    textarea.value = textarea.value.slice(0, at) + to + textarea.value.slice(at + from.length);
    const moved = caret > at ? caret + to.length - from.length : caret;
    textarea.setSelectionRange(moved, moved);
    textarea.dispatchEvent(new Event("input", { bubbles: true }));
  };

  const markdownFor = (data) => {
    const name = cleanName(data.name);
    if (data.kind === "image") {
      return data.thumbnail_url ? `[![${name}](${data.thumbnail_url})](${data.url})` : `![${name}](${data.url})`;
    }
    return `[${name}](${data.url})`;
  };

  let counter = 0;

  const upload = (textarea, file) => {
    const form = textarea.form;
    const labels = labelsFor(form);
    const name = cleanName(file.name);
    const { progress, status } = statusParts(textarea);
    counter += 1;
    const placeholder = `[${fill(labels.uploading, { name })} #${counter}]()`;
    insertAt(textarea, placeholder);
    progress.hidden = false;
    progress.value = 0;
    status.textContent = fill(labels.uploading, { name });

    const body = new FormData();
    body.append("file", file, file.name || "pasted.png");
    const board = textarea.getAttribute("data-board-id") || (form && form.getAttribute("data-board-id"));
    if (board) body.append("board_id", board);

    const xhr = new XMLHttpRequest();
    xhr.open("POST", "/api/v1/uploads");
    xhr.setRequestHeader("Accept", "application/json");
    xhr.setRequestHeader("X-CSRFToken", csrfToken(form));
    xhr.upload.addEventListener("progress", (event) => {
      if (event.lengthComputable) progress.value = Math.round((event.loaded / event.total) * 100);
    });
    const fail = (error) => {
      replaceText(textarea, placeholder, "");
      progress.hidden = true;
      status.textContent = fill(labels.failed, { name, error });
      status.classList.add("error");
    };
    xhr.addEventListener("load", () => {
      let data = null;
      try { data = JSON.parse(xhr.responseText); } catch (e) { data = null; }
      if (xhr.status === 201 && data) {
        replaceText(textarea, placeholder, markdownFor(data));
        progress.value = 100;
        progress.hidden = true;
        status.classList.remove("error");
        status.textContent = fill(labels.done, { name });
      } else {
        fail((data && data.error && data.error.message) || xhr.statusText || String(xhr.status));
      }
    });
    xhr.addEventListener("error", () => fail(labels.network));
    xhr.send(body);
  };

  const filesOf = (list) => Array.from(list || []).filter((item) => item && item.size !== undefined);

  const bindTextarea = (textarea) => {
    if (textarea.hasAttribute("data-uploads-bound")) return;
    textarea.setAttribute("data-uploads-bound", "");
    textarea.addEventListener("paste", (event) => {
      const files = filesOf(event.clipboardData && event.clipboardData.files);
      if (!files.length) return;  // plain text pastes as usual
      event.preventDefault();
      files.forEach((file) => upload(textarea, file));
    });
    textarea.addEventListener("dragover", (event) => {
      if (event.dataTransfer && Array.from(event.dataTransfer.types || []).includes("Files")) event.preventDefault();
    });
    textarea.addEventListener("drop", (event) => {
      const files = filesOf(event.dataTransfer && event.dataTransfer.files);
      if (!files.length) return;
      event.preventDefault();
      files.forEach((file) => upload(textarea, file));
    });
  };

  const targetOf = (button) => {
    const scope = button.closest("form") || button.closest("[data-composer]") || document;
    return scope.querySelector("textarea[data-composer-input]");
  };

  const bindButton = (button) => {
    if (button.hasAttribute("data-uploads-bound")) return;
    button.setAttribute("data-uploads-bound", "");
    const picker = document.createElement("input");
    picker.type = "file";
    picker.hidden = true;
    picker.multiple = true;
    picker.setAttribute("data-upload-input", button.getAttribute("data-composer-action"));
    if (button.getAttribute("data-composer-action") === "image") picker.accept = "image/png,image/jpeg,image/gif,image/webp";
    button.insertAdjacentElement("afterend", picker);
    button.hidden = false;
    button.closest("[data-upload-tools]")?.removeAttribute("hidden");
    button.addEventListener("click", (event) => {
      event.preventDefault();
      picker.click();
    });
    picker.addEventListener("change", () => {
      const textarea = targetOf(button);
      if (textarea) filesOf(picker.files).forEach((file) => upload(textarea, file));
      picker.value = "";
    });
  };

  const bindAll = (root) => {
    root.querySelectorAll("textarea[data-composer-input]").forEach(bindTextarea);
    root.querySelectorAll('[data-composer-action="image"], [data-composer-action="upload"]').forEach(bindButton);
  };

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", () => bindAll(document));
  } else {
    bindAll(document);
  }
  window.communityUploads = { bind: bindAll };
})();
