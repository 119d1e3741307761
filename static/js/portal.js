// Behaviour shared by every portal page (no inline scripts: the Content-Security-Policy allows none).
// A control marked data-autosubmit submits its form when it changes (without JavaScript,
// the form keeps a visible submit button in a <noscript>).
document.addEventListener("change", (event) => {
  const control = event.target.closest("[data-autosubmit]");
  if (control && control.form) control.form.requestSubmit();
});
