/** PLACEHOLDER until the Logit lens view lands (issue 7). */
export function LensView() {
  return <p className="empty">Logit lens: coming in this change.</p>;
}
