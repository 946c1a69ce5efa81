// Starts GOV.UK Frontend's components. Kept in a file, not inline, so the
// Content-Security-Policy needs no 'unsafe-inline'.
import { initAll } from "../build/govuk-frontend.min.js";

initAll();
