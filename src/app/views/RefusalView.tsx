/** PLACEHOLDER until the Refusal circuit view lands (issue 7). */
export function RefusalView() {
  return <p className="empty">Refusal circuit: coming in this change.</p>;
}
