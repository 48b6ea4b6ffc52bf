import {Box, Text, Transform} from 'ink';
import type {Line} from '../../doctor/present.js';
import {fitsOneRow, hangingIndent, splitAtNewlines} from '../measure.js';
import {useTheme, type TextStyle} from '../theme.js';
import {terminalSafe} from '../../ansi.js';

export {fitsOneRow} from '../measure.js';

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
