// While a photo uploads and is read, show "Checking…" and stop a second tap from sending it twice.
document.addEventListener("submit", (event) => {
  const form = event.target;
  if (!form.matches("[data-busy-form]")) return;
  form.classList.add("is-busy");
  form.querySelector("button[type=submit]").disabled = true;
});

// Coming back with the browser's Back button restores the page as it was left: make it usable again.
window.addEventListener("pageshow", () => {
  for (const form of document.querySelectorAll("form.is-busy")) {
    form.classList.remove("is-busy");
    form.querySelector("button[type=submit]").disabled = false;
  }
});
