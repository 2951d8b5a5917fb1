// Keeps the log box pinned to its newest line while following, unless the reader scrolled up to read.
const boxes = new WeakMap();

export function stickToBottom(box, enabled) {
  let state = boxes.get(box);
  if (!state) {
    state = { enabled, pinned: true };
    box.addEventListener('scroll', () => {
      state.pinned = box.scrollHeight - box.scrollTop - box.clientHeight < 2 * 20;
    }, { passive: true });
    // Virtualize changes its spacers' heights as lines arrive: follow those as well as new rows.
    new MutationObserver(() => {
      if (state.enabled && state.pinned) {
        box.scrollTop = box.scrollHeight;
      }
    }).observe(box, { childList: true, subtree: true, attributes: true, attributeFilter: ['style'] });
    boxes.set(box, state);
  }
  state.enabled = enabled;
  if (enabled && state.pinned) {
    box.scrollTop = box.scrollHeight;
  }
}
