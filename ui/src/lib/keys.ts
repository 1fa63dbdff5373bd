// When a keyboard shortcut may act: not while the user types into a field, and not for Enter
// or Space on a focused button or link (those press it).

/** The key went to a text field, select or editable element. */
export function typing(e: KeyboardEvent): boolean {
  const el = e.target as HTMLElement | null;
  return !!el && (el.tagName === 'INPUT' || el.tagName === 'TEXTAREA' || el.tagName === 'SELECT' || el.isContentEditable);
}

/** Enter or Space on a focused button or link: the browser's, so they work by keyboard. */
export function pressing(e: KeyboardEvent): boolean {
  const el = e.target as HTMLElement | null;
  return (e.key === 'Enter' || e.key === ' ') && !!el?.closest?.('button, a[href], summary, [role="button"]');
}
