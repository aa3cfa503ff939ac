export { writeArtifact } from "./artifact.ts";
export type { Draft, DraftSettings, ReviewDocument } from "./review-document.ts";
export { reviewDocumentOf } from "./review-document.ts";
export {
  type Decision,
  decide,
  execute,
  openReview,
  type ReviewContext,
  resume,
  startReview,
} from "./workflow.ts";
