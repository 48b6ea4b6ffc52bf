// Markdown that pastes cleanly into a GitHub issue, whatever the cluster's text holds. Three ways in, each safe for
// any input: `text` (our sentences with cluster names in them: every character Markdown or GitHub acts on is
// backslash-escaped), `code` (an inline code span longer than any backtick run inside), `fence` (a code block whose
// fence is longer than any backtick run inside, so no line of a log can close it), plus `html` for the one HTML
// element used (<details>). Control, format and invisible characters are shown escaped (terminalSafe), never raw.
// Pure.
import {terminalSafe} from '../ansi.js';

/** Characters escaped wherever they are in `text`: emphasis, code, links, HTML, entities, tables, strikethrough, math, mentions, references. */
const special = /[\\`*_[\]<>#|~&!$@{}]/g;

/** No raw control characters, and one line: a newline or tab becomes a space. */
function oneLine(value: string): string {
	return terminalSafe(value).replace(/[\t\n]/g, ' ');
}

/**
 * `value` as Markdown inline text: renders as exactly `value` on one line (less the spaces at its ends, which
 * Markdown drops anyway, and which at a line's start could begin a code block). Besides the characters that always
 * act, those that act only at the start of a line (a list, a quote, a heading underline) are escaped there.
 */
export function text(value: string): string {
	const escaped = oneLine(value).trim().replace(special, '\\$&');
	return escaped.replace(/^([-+=])/, '\\$1').replace(/^(\d+)([.)])/, '$1\\$2');
}

/** The longest run of backticks in `value`. */
export function longestBacktickRun(value: string): number {
	let longest = 0;
	for (const run of value.match(/`+/g) ?? []) longest = Math.max(longest, run.length);
	return longest;
}

/** `value` as an inline code span (one line): delimited by more backticks than it holds, padded where CommonMark strips. */
export function code(value: string): string {
	const content = oneLine(value);
	if (content === '') return '` `';
	const ticks = '`'.repeat(longestBacktickRun(content) + 1);
	// CommonMark strips one space from each end when both ends have one; a backtick at an end needs a space too.
	const pad = content.startsWith('`') || content.endsWith('`') || (content.startsWith(' ') && content.endsWith(' ') && content.trim() !== '') ? ' ' : '';
	return `${ticks}${pad}${content}${pad}${ticks}`;
}

/** `value` as a fenced code block: a fence of more backticks than any run in it (at least 3); ends with a newline. */
export function fence(value: string, info = ''): string {
	const content = terminalSafe(value).replace(/\r/g, '');
	const ticks = '`'.repeat(Math.max(3, longestBacktickRun(content) + 1));
	const body = content === '' || content.endsWith('\n') ? content : `${content}\n`;
	// The info string of a backtick fence may hold no backtick.
	return `${ticks}${info.replace(/[`\s]/g, '')}\n${body}${ticks}\n`;
}

/** `value` as HTML text (inside <summary>): &, <, >, " as entities, on one line. */
export function html(value: string): string {
	return oneLine(value).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/**
 * A collapsible block: `<details>` with a summary, then `body` (Markdown). Blank lines around the body end the HTML
 * block, so the body is read as Markdown (a fence, a list).
 */
export function details(summary: string, body: string): string {
	return `<details><summary>${html(summary)}</summary>\n\n${body.endsWith('\n') ? body : `${body}\n`}\n</details>\n`;
}
