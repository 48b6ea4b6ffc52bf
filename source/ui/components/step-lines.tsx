import {Box, Text, Transform} from 'ink';
import {marks, type Line} from '../../doctor/present.js';
import {useTheme, type TextStyle} from '../theme.js';
import {terminalSafe} from '../../ansi.js';

const markChars = Object.values(marks).join('');
const hangingPrefix = new RegExp(`^( *(?:\\d+\\. )?(?:[${markChars}] ){0,2})`, 'u');

/**
 * Splits a line where its wrapped continuation should start: after the leading spaces, a list number and up
 * to two marks ("    ✖ ", "+ ✖ ", "2. "), so a long line wraps under its own text, not under the mark.
 */
export function hangingIndent(line: Line): {lead: Line; rest: Line; width: number; leadWidth: number} {
	const first = line[0];
	const prefix = first ? (hangingPrefix.exec(first.text)?.[1] ?? '') : '';
	if (!first || prefix === '') return {lead: [], rest: line, width: 0, leadWidth: 0};
	const leadText = prefix.trimStart();
	const lead = leadText ? [{...first, text: leadText}] : [];
	const rest = [{...first, text: first.text.slice(prefix.length)}, ...line.slice(1)];
	return {lead, rest, width: prefix.length, leadWidth: leadText.length};
}

/** Splits a line at its newlines (an outcome message can have several), keeping each segment's style. */
function splitAtNewlines(line: Line): Line[] {
	const lines: Line[] = [[]];
	for (const segment of line) {
		segment.text.split('\n').forEach((text, index) => {
			if (index > 0) lines.push([]);
			lines.at(-1)!.push({...segment, text});
		});
	}

	return lines;
}

const leadingSpaces = /^((?:\u001B\[[\d;]*m)*) +/;

/**
 * Ink wraps with the spaces kept, so a continuation row can start with the space it broke at. Rows after the
 * first are always continuations here (newlines are split beforehand): drop those spaces.
 */
function trimContinuation(row: string, index: number): string {
	return index === 0 ? row : row.replace(leadingSpaces, '$1');
}

function Wrapped({line, base}: {readonly line: Line; readonly base: TextStyle | undefined}) {
	return (
		<Transform transform={trimContinuation}>
			<Text wrap="wrap" {...base}>
				<Segments line={line} />
			</Text>
		</Transform>
	);
}

function Segments({line}: {readonly line: Line}) {
	const theme = useTheme();
	return (
		<>
			{line.map((segment, index) => (
				// Segments never reorder: the index is their identity.
				// eslint-disable-next-line react/no-array-index-key
				<Text key={index} {...theme.text[segment.style ?? 'plain']}>
					{terminalSafe(segment.text)}
				</Text>
			))}
		</>
	);
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

/**
 * One presentation line, wrapped with a hanging indent; `base` styles the whole line (its segments add to it).
 * Given the `width` it is drawn in, a line that fits is drawn as it is.
 */
export function LineText({line, base, width}: {readonly line: Line; readonly base?: TextStyle; readonly width?: number}) {
	if (width !== undefined && fitsOneRow(line, width)) {
		return (
			<Text wrap="truncate-end" {...base}>
				<Segments line={line} />
			</Text>
		);
	}

	const rows = splitAtNewlines(line);
	if (rows.length > 1) {
		return (
			<Box flexDirection="column">
				{rows.map((row, index) => (
					// eslint-disable-next-line react/no-array-index-key
					<LineText key={index} line={row} {...(base ? {base} : {})} />
				))}
			</Box>
		);
	}

	const {lead, rest, width: indent, leadWidth} = hangingIndent(line);
	if (indent === 0) return <Wrapped line={line} base={base} />;

	return (
		<Box flexDirection="row">
			<Box width={indent} flexShrink={0} paddingLeft={indent - leadWidth}>
				<Text {...base}>
					<Segments line={lead} />
				</Text>
			</Box>
			<Box flexGrow={1} flexShrink={1}>
				<Wrapped line={rest} base={base} />
			</Box>
		</Box>
	);
}

/** Lines from present.ts, one under the other, wrapped to the width they are given (`width` when known). */
export function StepLines({lines, width}: {readonly lines: Line[]; readonly width?: number}) {
	if (lines.length === 0) return null;
	return (
		<Box flexDirection="column">
			{lines.map((line, index) => (
				// eslint-disable-next-line react/no-array-index-key
				<LineText key={index} line={line} {...(width === undefined ? {} : {width})} />
			))}
		</Box>
	);
}
