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

// A batch page keeps its progress bar current from the batch's progress endpoint; once the batch
// has finished, the page is loaded again to list every item's result.
const FINISHED_BATCH = new Set(["done", "failed", "cancelled"]);
const BATCH_POLL_MS = 1000;

function followBatch(section) {
  const bar = section.querySelector("progress");
  const show = (name, value) => { section.querySelector(`[data-count="${name}"]`).textContent = value; };
  const poll = async () => {
    let status;
    try {
      const response = await fetch(section.dataset.progressUrl, {headers: {Accept: "application/json"}});
      if (!response.ok) throw new Error(`HTTP ${response.status}`);
      status = await response.json();
    } catch {
      setTimeout(poll, 5 * BATCH_POLL_MS);  // the server restarting, or the network gone for a moment
      return;
    }
    const settled = status.done + status.failed;
    if (status.total !== null) {
      bar.max = Math.max(status.total, 1);
      bar.value = settled;
    }
    show("state", status.state);
    show("settled", settled);
    show("total", status.total ?? "?");
    show("failed", status.failed);
    if (FINISHED_BATCH.has(status.state)) {
      location.reload();
    } else {
      setTimeout(poll, BATCH_POLL_MS);
    }
  };
  poll();
}

for (const section of document.querySelectorAll("[data-progress-url]")) {
  if (!FINISHED_BATCH.has(section.dataset.state)) followBatch(section);
}

// The review page draws each finding's region over the photo in the photo's own pixels: the overlay's
// coordinate system is the image's natural size, known once it has loaded. Labels are a fortieth of its width.
for (const image of document.querySelectorAll("img[data-regions-for]")) {
  const regions = document.getElementById(image.dataset.regionsFor);
  const fit = () => {
    regions.setAttribute("viewBox", `0 0 ${image.naturalWidth} ${image.naturalHeight}`);
    regions.style.fontSize = `${Math.max(image.naturalWidth / 40, 12)}px`;
  };
  if (image.complete && image.naturalWidth) fit(); else image.addEventListener("load", fit);
}

// Zoom the photo and its regions together; the viewport scrolls around the enlarged image.
const ZOOM_STEPS = [1, 1.5, 2, 3, 4];
for (const viewer of document.querySelectorAll(".viewer")) {
  let step = 0;
  viewer.addEventListener("click", (event) => {
    const button = event.target.closest("[data-zoom]");
    if (!button) return;
    const change = {in: 1, out: -1, fit: -ZOOM_STEPS.length}[button.dataset.zoom];
    step = Math.min(Math.max(step + change, 0), ZOOM_STEPS.length - 1);
    viewer.style.setProperty("--zoom", ZOOM_STEPS[step]);
  });
}

for (const button of document.querySelectorAll("[data-print]")) {
  button.addEventListener("click", () => window.print());
}
