import type {Line, Style} from './doctor/present.js';

/*
 * What reaches a terminal. Text from outside (cluster objects, logs, annotations, the server's /version and error
 * texts) may hold escape sequences that retitle a window, move the cursor or rewrite what is on screen, and
 * invisible or bidi characters that make one name look like another. terminalSafe is the one mechanism every
 * text renderer uses (the Ink view, the plain doctor, scan's text, undo, error messages): such characters are
 * shown, escaped, instead of acted on. JSON and YAML output stay exact and never pass through it.
 */

/**
 * Control characters (C0 but tab and newline, DEL, C1: ESC starts every sequence, BEL ends OSC, CR overwrites a
 * line), format characters (bidi embeddings, overrides and isolates, zero-width characters, soft hyphen, BOM,
 * tags), line and paragraph separators, lone surrogates, and every other character Unicode says to draw as
 * nothing (Default_Ignorable_Code_Point: Hangul fillers, variation selectors, the unassigned rest of the tags).
 */
export const unsafeClass = String.raw`[\p{Cc}\p{Cf}\p{Zl}\p{Zp}\p{Cs}\p{Default_Ignorable_Code_Point}]`;
const anyUnsafe = new RegExp(unsafeClass, 'u');
const everyUnsafe = new RegExp(unsafeClass, 'gu');
const layout = new Set(['\t', '\n']);

function escape(char: string): string {
	if (layout.has(char)) return char;
	const code = char.codePointAt(0) ?? 0;
	if (code <= 0xff) return `\\x${code.toString(16).padStart(2, '0')}`;
	return code <= 0xffff ? `\\u${code.toString(16).padStart(4, '0')}` : `\\u{${code.toString(16)}}`;
}

/** `text` with every control, format and invisible character shown as an escape (`\x1b`, `\u202e`); tab and newline kept. */
export function terminalSafe(text: string): string {
	return anyUnsafe.test(text) ? text.replace(everyUnsafe, escape) : text;
}

// Plain-terminal rendering of presentation lines: ANSI colours, or none for NO_COLOR and pipes.
const codes: Record<Style, [number, number] | undefined> = {
	ok: [32, 39],
	bad: [31, 39],
	warn: [33, 39],
	dim: [2, 22],
	add: [32, 39],
	bold: [1, 22],
	accent: [36, 39],
	plain: undefined,
};

/** One presentation line for a plain terminal or pipe: its text made safe, then (with `color`) our own colours. */
export function renderLine(line: Line, color: boolean): string {
	return line
		.map(segment => {
			const text = terminalSafe(segment.text);
			const code = color && segment.style ? codes[segment.style] : undefined;
			return code ? `\u001B[${code[0]}m${text}\u001B[${code[1]}m` : text;
		})
		.join('');
}
