import type {ReactNode} from 'react';
import {Box, Text} from 'ink';
import {Spinner} from '@inkjs/ui';
import type {StepStatus} from '../../doctor/model.js';
import {marks, type Line} from '../../doctor/present.js';
import {detailIndent} from '../layout.js';
import {useTheme} from '../theme.js';
import {LineText} from './step-lines.js';

const statusMarks: Record<Exclude<StepStatus, 'running'>, string> = {
	done: marks.ok,
	failed: marks.bad,
	skipped: marks.skipped,
	pending: marks.pending,
};

/** The mark of a step: a spinner while it works, ? while it waits for the user. */
export function StatusMark({status, waiting = false, still = false}: {readonly status: StepStatus; readonly waiting?: boolean; readonly still?: boolean}) {
	const theme = useTheme();
	if (waiting) return <Text {...theme.waiting}>?</Text>;
	// A step whose own view redraws as it progresses (the rollout) needs no spinner frames on top.
	if (status === 'running' && still) return <Text {...theme.waiting}>…</Text>;
	if (status === 'running') return <Spinner />;
	return <Text {...theme.status[status]}>{statusMarks[status]}</Text>;
}

interface Props {
	readonly title: string;
	readonly status: StepStatus;
	/** Waiting for the user's answer. */
	readonly waiting?: boolean;
	/** No spinner while running: the step's detail already shows progress. */
	readonly still?: boolean;
	/** Width of the title column, so the one-line results line up. */
	readonly titleWidth: number;
	/** A finished step's one-line result. */
	readonly summary: Line | undefined;
	/** Beside the title when true, under it when the terminal is narrow. */
	readonly inlineSummary: boolean;
	readonly children?: ReactNode;
}

/** One step of the list: its status mark and title, its one-line result, and below it any detail. */
export function StepRow({title, status, waiting = false, still = false, titleWidth, summary, inlineSummary, children}: Props) {
	const theme = useTheme();
	const titleStyle = status === 'pending' || status === 'skipped' ? theme.text.dim : status === 'running' ? theme.heading : theme.text.plain;
	return (
		<Box flexDirection="column">
			<Box flexDirection="row">
				<Box width={2} flexShrink={0}>
					<StatusMark status={status} waiting={waiting} still={still} />
				</Box>
				<Box width={inlineSummary ? titleWidth : undefined} flexShrink={0}>
					<Text wrap="truncate-end" {...titleStyle}>
						{title}
					</Text>
				</Box>
				{summary && inlineSummary ? (
					<Box flexShrink={1} flexGrow={1}>
						<LineText line={summary} />
					</Box>
				) : null}
			</Box>
			{summary && !inlineSummary ? (
				<Box paddingLeft={detailIndent}>
					<LineText line={summary} />
				</Box>
			) : null}
			{children ? (
				<Box flexDirection="column" paddingLeft={detailIndent}>
					{children}
				</Box>
			) : null}
		</Box>
	);
}
