// Podium pages work without JavaScript; this asks before destructive form posts, shows an
// upload's progress, and follows a submission's status until it ends.
document.addEventListener("submit", (event) => {
  const form = event.target;
  const question = form instanceof HTMLFormElement ? form.dataset.confirm : undefined;
  if (question && !window.confirm(question)) {
    event.preventDefault();
    return;
  }
  if (form instanceof HTMLFormElement && form.hasAttribute("data-upload")) {
    event.preventDefault();
    upload(form);
  }
});

function errorOf(xhr) {
  // the server answers with its error page: show its sentence, not the whole page
  const page = new DOMParser().parseFromString(xhr.responseText || "", "text/html");
  const notice = page.querySelector(".notice.error");
  return notice ? notice.textContent.trim() : `the upload failed (HTTP ${xhr.status}); try again`;
}

function upload(form) {
  const bar = form.querySelector("#upload-progress");
  const state = form.querySelector("#upload-state");
  const error = form.querySelector("#upload-error");
  const button = form.querySelector("button[type=submit]");
  // the token goes in a header, so it stays out of the URL (and access logs) on this path
  const target = new URL(form.action, window.location.href);
  const csrf = target.searchParams.get("csrf_token") || "";
  target.searchParams.delete("csrf_token");
  const xhr = new XMLHttpRequest();
  xhr.open("POST", target.toString());
  xhr.setRequestHeader("Accept", "application/json");
  xhr.setRequestHeader("X-CSRF-Token", csrf);
  xhr.upload.addEventListener("progress", (e) => {
    if (e.lengthComputable) {
      bar.value = Math.round((100 * e.loaded) / e.total);
      state.textContent = `Uploading: ${bar.value}% of ${(e.total / 1048576).toFixed(1)} MB`;
    }
  });
  xhr.upload.addEventListener("load", () => {
    bar.value = 100;
    state.textContent = "Uploaded; checking the file…";
  });
  xhr.addEventListener("load", () => {
    if (xhr.status === 201) {
      state.textContent = "Accepted; opening the submission…";
      window.location.assign(JSON.parse(xhr.responseText).url);
      return;
    }
    error.textContent = errorOf(xhr);
    error.hidden = false;
    state.textContent = "";
    button.disabled = false;
  });
  xhr.addEventListener("error", () => {
    error.textContent = "the connection broke during the upload; check your network and try again";
    error.hidden = false;
    button.disabled = false;
  });
  error.hidden = true;
  bar.hidden = false;
  bar.value = 0;
  button.disabled = true;
  xhr.send(new FormData(form));
}

// The submission page: poll the status while it is in flight; reload when it changes, so the
// timeline, scores and logs are the server's.
const live = document.querySelector("[data-live-status]");
if (live) {
  const url = live.dataset.liveStatus;
  const shown = live.dataset.status;
  const poll = () => {
    fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" })
      .then((answer) => (answer.ok ? answer.json() : null))
      .then((now) => {
        if (!now) return;
        if (now.status !== shown) {
          window.location.reload();
        } else if (!now.terminal) {
          window.setTimeout(poll, 2000);
        }
      })
      .catch(() => window.setTimeout(poll, 5000));
  };
  window.setTimeout(poll, 2000);
}
