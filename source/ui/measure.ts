import {terminalSafe, textWidth} from '../ansi.js';
import {marks, type Line} from '../doctor/present.js';

// How many terminal rows a presentation line takes, the way Ink draws it: the live area's height is decided
// from these counts (layout.ts) before anything is drawn, so that it never reaches the terminal's height.

/**
 * Rows `text` (one line, no newline) takes wrapped into `columns`, by the rules of Ink's wrap="wrap" (wrap-ansi
 * with trim off and hard breaks): words move to the next row whole, a word wider than a row is cut.
 */
export function wrappedRowCount(text: string, columns: number): number {
	if (columns <= 0) return 1;
	let rows = 1;
	let rowLength = 0;
	text.split(' ').forEach((word, index) => {
		const length = textWidth(word);
		if (index > 0) {
			if (rowLength >= columns) {
				rows++;
				rowLength = 0;
			}
			rowLength++;
		}
		if (length > columns) {
			const remaining = columns - rowLength;
			if (Math.floor((length - 1) / columns) < 1 + Math.floor((length - remaining - 1) / columns)) {
				rows++;
				rowLength = 0;
			}
			// Cut into rows of `columns`: the last piece is what stays on the row.
			let left = length;
			while (rowLength + left > columns) {
				left -= columns - rowLength;
				rows++;
				rowLength = 0;
			}
			// A last piece that fills its row exactly stays there: the next word opens the next row.
			rowLength += left;
			return;
		}
		if (rowLength + length > columns && rowLength > 0 && length > 0) {
			rows++;
			rowLength = 0;
		}
		rowLength += length;
	});
	return rows;
}

const markChars = Object.values(marks).join('');
const hangingPrefix = new RegExp(`^( *(?:\\d+\\. )?(?:[${markChars}] ){0,2})`, 'u');

/**
 * Splits a line where its wrapped continuation should start: after the leading spaces, a list number and up
 * to two marks ("    ✖ ", "+ ✖ ", "2. "), so a long line wraps under its own text, not under the mark. The
 * prefix may span segments (the fleet indents each cluster's lines with a segment of its own).
 */
export function hangingIndent(line: Line): {lead: Line; rest: Line; width: number; leadWidth: number} {
	const prefix = hangingPrefix.exec(line.map(segment => segment.text).join(''))?.[1] ?? '';
	if (prefix === '') return {lead: [], rest: line, width: 0, leadWidth: 0};
	const lead: Line = [];
	const rest: Line = [];
	let at = 0;
	for (const segment of line) {
		const cut = Math.min(segment.text.length, Math.max(0, prefix.length - at));
		// The lead is drawn without its leading spaces (its box pads them).
		const leadText = lead.length === 0 ? segment.text.slice(0, cut).trimStart() : segment.text.slice(0, cut);
		if (leadText) lead.push({...segment, text: leadText});
		if (at + segment.text.length >= prefix.length) rest.push({...segment, text: segment.text.slice(cut)});
		at += segment.text.length;
	}
	const leadWidth = prefix.trimStart().length;
	return {lead, rest, width: prefix.length, leadWidth};
}

/**
 * Characters one column wide in any terminal: ASCII, Latin, punctuation, arrows, box drawing and blocks, and the
 * check marks (U+2713-2718). Not the rest of U+2600-27BF: some of those are emoji, two columns wide.
 */
const narrow = /^[\u0020-\u007E\u00A0-\u02FF\u2000-\u25FF\u2713-\u2718]*$/u;

/**
 * True when the line certainly fits on one row of `width` columns: it can then skip the wrapping machinery,
 * which costs most of a frame when a view redraws many lines (the rollout).
 */
export function fitsOneRow(line: Line, width: number): boolean {
	let length = 0;
	for (const segment of line) {
		// Escaped characters take more columns than they are long: such a line goes through the wrapping.
		if (!narrow.test(segment.text) || terminalSafe(segment.text) !== segment.text) return false;
		length += segment.text.length;
	}

	return length <= width;
}

const textOf = (line: Line) => terminalSafe(line.map(segment => segment.text).join(''));

/** Splits a line at its newlines (an outcome message can have several), keeping each segment's style. */
export function splitAtNewlines(line: Line): Line[] {
	const lines: Line[] = [[]];
	for (const segment of line) {
		segment.text.split('\n').forEach((text, index) => {
			if (index > 0) lines.push([]);
			lines.at(-1)!.push({...segment, text});
		});
	}

	return lines;
}

/**
 * Rows one presentation line takes in `width` columns, drawn as LineText draws it: cut to one row when it is
 * given its width and fits, else split at newlines and wrapped with its hanging indent.
 */
export function lineRows(line: Line, width: number, known = false): number {
	if (known && fitsOneRow(line, width)) return 1;
	const parts = splitAtNewlines(line);
	if (parts.length > 1) return parts.reduce((sum, part) => sum + lineRows(part, width), 0);
	const {rest, width: indent} = hangingIndent(line);
	return wrappedRowCount(textOf(rest), Math.max(1, width - indent));
}

/** Rows of lines one under the other (StepLines). */
export function linesRows(lines: readonly Line[], width: number, known = false): number {
	return lines.reduce((sum, line) => sum + lineRows(line, width, known), 0);
}

/** Rows of a plain text wrapped in `width` columns (a Text with wrap="wrap"). */
export function textRows(text: string, width: number): number {
	return text.split('\n').reduce((sum, part) => sum + wrappedRowCount(terminalSafe(part), Math.max(1, width)), 0);
}
