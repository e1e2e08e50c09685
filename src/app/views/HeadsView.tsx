/** PLACEHOLDER until the Head gates view lands (issue 7). */
export function HeadsView() {
  return <p className="empty">Head gates: coming in this change.</p>;
}
