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

/** East Asian wide and fullwidth characters and emoji: two columns (what string-width counts as two). */
const wide = /[\u1100-\u115F\u231A\u231B\u2329\u232A\u23E9-\u23EC\u23F0\u23F3\u25FD\u25FE\u2614\u2615\u2648-\u2653\u267F\u2693\u26A1\u26AA\u26AB\u26BD\u26BE\u26C4\u26C5\u26CE\u26D4\u26EA\u26F2-\u26F5\u26FA\u26FD\u2705\u270A\u270B\u2728\u274C\u274E\u2753-\u2755\u2757\u2795-\u2797\u27B0\u27BF\u2B1B\u2B1C\u2B50\u2B55\u2E80-\u303E\u3041-\u33FF\u3400-\u4DBF\u4E00-\u9FFF\uA000-\uA4CF\uA960-\uA97F\uAC00-\uD7A3\uF900-\uFAFF\uFE10-\uFE19\uFE30-\uFE6F\uFF00-\uFF60\uFFE0-\uFFE6\u{1F000}-\u{1FAFF}\u{20000}-\u{3FFFD}]/u;
/** Combining marks and zero-width characters: no column. */
const zero = /[\u0300-\u036F\u200B-\u200F\uFE00-\uFE0F]/u;

/** Columns `text` takes in a terminal (text already made safe by terminalSafe: no control characters). */
export function textWidth(text: string): number {
	if (/^[\u0020-\u007E]*$/.test(text)) return text.length;
	let width = 0;
	for (const character of text) width += zero.test(character) ? 0 : wide.test(character) ? 2 : 1;
	return width;
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
