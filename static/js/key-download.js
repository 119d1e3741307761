// The api user's one-time private key. The server hands it out once and keeps nothing; this
// script fetches it as the page opens, saves it as private_key.pem and keeps that one copy in
// the page's memory only, so "Download" can save it again until the user ticks "I have saved
// my key" and continues (leaving the page forgets it). Without JavaScript the form still
// downloads the key once.
(function () {
  const form = document.getElementById("key-form");
  if (!form) return;
  const status = document.querySelector("[data-key-status]");
  const button = form.querySelector("button[type=submit]");
  let saved = null; // the key as downloaded: a Blob, in this page's memory only

  function save() {
    const link = document.createElement("a");
    link.href = URL.createObjectURL(saved);
    link.download = "private_key.pem";
    document.body.appendChild(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(link.href), 1000);
  }

  async function fetchOnce() {
    status.textContent = "Please wait, your private key is being generated…";
    button.disabled = true;
    try {
      const response = await fetch(form.action, {
        method: "POST",
        body: new FormData(form),
        credentials: "same-origin",
      });
      if (!response.ok) {
        status.textContent =
          "The key could not be downloaded: it was handed out already. Reload this page for what to do next.";
        return;
      }
      saved = await response.blob();
    } catch (error) {
      status.textContent = "The key could not be downloaded (no connection?). Press Download to try again.";
      button.disabled = false;
      return;
    }
    save();
    button.disabled = false;
    button.lastChild.textContent = " Download private_key.pem again";
    status.textContent =
      "Your key was downloaded as private_key.pem. Not in your downloads? Download it again: it stays available until you continue.";
  }

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    if (saved) {
      save();
      status.textContent = "Downloaded private_key.pem again.";
    } else {
      fetchOnce();
    }
  });
  fetchOnce();
})();
