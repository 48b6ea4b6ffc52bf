import type {ReactNode} from 'react';
import {Box} from 'ink';
import type {Diagnosis, Plan} from '../../doctor/model.js';
import {neededRowStyle, ruleDiff, ruleDiffHeadings, type Line, type RuleDiffRow} from '../../doctor/present.js';
import {useTheme} from '../theme.js';
import {LineText} from './step-lines.js';

interface Props {
	readonly plan: Plan;
	readonly diagnosis: Diagnosis;
	/** The width this view may use. */
	readonly width: number;
	readonly sideBySide: boolean;
}

function Column({heading, children}: {readonly heading: string; readonly children: ReactNode}) {
	const theme = useTheme();
	return (
		<Box flexDirection="column">
			<LineText line={[{text: heading}]} base={theme.heading} />
			{children}
		</Box>
	);
}

function NeededRow({row}: {readonly row: RuleDiffRow}) {
	const theme = useTheme();
	const missing = row.missing === true;
	const style = neededRowStyle(row);
	const line: Line = [{text: `${row.mark} ${row.text}`, style}];
	return (
		<Box flexDirection="column">
			<LineText line={line} {...(missing && style === 'bad' ? {base: theme.missing} : {})} />
			{missing && row.why ? (
				<Box paddingLeft={4}>
					<LineText line={[{text: row.why, style: 'dim'}]} />
				</Box>
			) : null}
		</Box>
	);
}

/**
 * The role's rules now and the rules Multus needs, every needed rule marked; the missing ones stand out and
 * say why they are needed. Side by side when there is room, one under the other otherwise.
 */
export function RuleDiff({plan, diagnosis, width, sideBySide}: Props) {
	const diff = ruleDiff(plan, diagnosis);
	const headings = ruleDiffHeadings(plan);
	const current = (
		<Column heading={headings.current}>
			{diff.current.map((row, index) => (
				// eslint-disable-next-line react/no-array-index-key
				<LineText key={index} line={[{text: `  ${row.text}`}]} />
			))}
		</Column>
	);
	const needed = (
		<Column heading={headings.needed}>
			{diff.needed.map((row, index) => (
				// eslint-disable-next-line react/no-array-index-key
				<NeededRow key={index} row={row} />
			))}
		</Column>
	);
	if (!sideBySide) {
		return (
			<Box flexDirection="column" width={width}>
				{current}
				{needed}
			</Box>
		);
	}

	const gap = 2;
	const left = Math.floor((width - gap) / 2);
	return (
		<Box flexDirection="row" width={width} columnGap={gap}>
			<Box width={left} flexShrink={0}>
				{current}
			</Box>
			<Box width={width - gap - left} flexShrink={0}>
				{needed}
			</Box>
		</Box>
	);
}
