// The Print button on a paper copy (casework/paper_base.html). Kept in a file, not inline,
// so the Content-Security-Policy needs no 'unsafe-inline'. Without JavaScript the button
// stays hidden and the browser's own Print command does the same.
for (const button of document.querySelectorAll("[data-paper-print]")) {
  button.hidden = false;
  button.addEventListener("click", () => window.print());
}
