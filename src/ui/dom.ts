/**
 * Tiny DOM helpers for the dashboard: build elements once, then update only what changed. Writing the
 * same text again is skipped, so calling a view's update every 250 ms costs almost nothing.
 */

/** Options for {@link h}. */
export interface ElementInit {
  /** Space-separated class names. */
  readonly className?: string;
  readonly text?: string;
  readonly attrs?: Readonly<Record<string, string>>;
}

/**
 * Creates an element with classes, text, attributes and children.
 * @example h('span', { className: 'badge', text: 'coordinator' })
 */
export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  init: ElementInit = {},
  children: readonly Node[] = [],
): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  if (init.className !== undefined) node.className = init.className;
  if (init.text !== undefined) node.textContent = init.text;
  for (const [name, value] of Object.entries(init.attrs ?? {})) node.setAttribute(name, value);
  for (const child of children) node.appendChild(child);
  return node;
}

/** Sets an element's text only when it differs (no DOM write, no layout, when nothing changed). */
export function setText(node: Element, text: string): void {
  if (node.textContent !== text) node.textContent = text;
}

/** Sets an attribute only when it differs. */
export function setAttr(node: Element, name: string, value: string): void {
  if (node.getAttribute(name) !== value) node.setAttribute(name, value);
}

/** Shows or hides an element through the `hidden` property (styles.css makes `[hidden]` win). */
export function setHidden(node: HTMLElement, hidden: boolean): void {
  if (node.hidden !== hidden) node.hidden = hidden;
}

/** Adds or removes one class only when needed. */
export function setClass(node: Element, name: string, on: boolean): void {
  if (node.classList.contains(name) !== on) node.classList.toggle(name, on);
}

/**
 * Sets a `data-*` attribute used as a style hook (e.g. `data-phase="training"`), only when it differs.
 * @example setData(pill, 'phase', 'training')
 */
export function setData(node: HTMLElement, key: string, value: string): void {
  if (node.dataset[key] !== value) node.dataset[key] = value;
}

/** A titled card section; `body` is where the view puts its content. */
export interface Card {
  readonly el: HTMLElement;
  readonly body: HTMLElement;
  readonly title: HTMLElement;
}

/** Builds the standard card shell: `<section class="card"><h2>title</h2><div class="card-body"/></section>`. */
export function card(title: string, className = ''): Card {
  const titleEl = h('h2', { className: 'card-title', text: title });
  const body = h('div', { className: 'card-body' });
  const el = h('section', { className: `card ${className}`.trim(), attrs: { 'aria-label': title } }, [titleEl, body]);
  return { el, body, title: titleEl };
}
