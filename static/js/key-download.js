// The api user's one-time private key: fetched right away, saved as private_key.pem, then on
// to the permission request. The form still works without JavaScript.
(function () {
  const form = document.getElementById("key-form");
  if (!form) return;
  const status = document.querySelector("[data-key-status]");

  async function download(event) {
    if (event) event.preventDefault();
    status.textContent = "Please wait, your access key is downloading…";
    const response = await fetch(form.action, {
      method: "POST",
      body: new FormData(form),
      credentials: "same-origin",
    });
    if (!response.ok) {
      status.textContent = "The key could not be downloaded (it may have been downloaded already).";
      return;
    }
    const blob = await response.blob();
    const link = document.createElement("a");
    link.href = URL.createObjectURL(blob);
    link.download = "private_key.pem";
    document.body.appendChild(link);
    link.click();
    status.textContent = "Key downloaded. Taking you to the permission request…";
    setTimeout(() => window.location.assign(form.dataset.next), 800);
  }

  form.addEventListener("submit", download);
  download();
})();
