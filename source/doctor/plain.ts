import {doctorReducer, initialState, type DoctorEvent} from './machine.js';
import {stepIds, stepTitles, type StepId} from './model.js';
import {codeSegment, confirmAnswerLine, connectLines, detectLines, failureLine, findLines, noteLine, patchedLine, planLines, proofLines, restartedLine, rolloutLines, summaryLines, verifyLines, type Line} from './present.js';
import {renderLine} from '../ansi.js';
import type {DoctorOptions} from '../options.js';

/**
 * The plain printer: an observer of the flow's events that prints, as it goes, the same words as the terminal UI
 * (text output without a terminal). It keeps its own copy of the state to phrase them; it never answers the flow.
 */
export function plainPrinter(options: Pick<DoctorOptions, 'color' | 'yes'>, write: (text: string) => void): (event: DoctorEvent) => void {
	let state = initialState();
	const print = (lines: Line[], indent = '    ') => {
		for (const line of lines) write(`${indent}${renderLine(line, options.color)}\n`);
	};
	let lastHeader: StepId | undefined;
	const header = (step: StepId, suffix = '') => {
		lastHeader = step;
		write(`${renderLine([{text: `[${stepIds.indexOf(step) + 1}/${stepIds.length}] ${stepTitles[step]}`, style: 'bold'}], options.color)}${suffix}\n`);
	};
	let proofAnnounced = false;
	let lastRolloutMessage = '';
	return (event: DoctorEvent) => {
		state = doctorReducer(state, event);
		switch (event.type) {
			case 'step-started':
				header(event.step);
				break;
			case 'step-skipped':
				// A step may decide to skip itself once started (OnDelete): its header is already out.
				if (lastHeader === event.step) print([[{text: 'skipped', style: 'dim'}]]);
				else header(event.step, ': skipped');
				if (event.note) print([noteLine(event.note, event.code)]);
				break;
			case 'connected':
				print(connectLines(state));
				break;
			case 'found':
				print(findLines(state.found));
				break;
			case 'diagnosed':
				print(detectLines(state.diagnosis, state.found));
				break;
			case 'planned':
				print(planLines(state.plan, state.diagnosis));
				break;
			case 'confirm-answered':
				print([confirmAnswerLine(event.yes, options.yes)]);
				break;
			case 'conflict':
				print([noteLine(event.note, event.code)]);
				break;
			case 'patched':
				print([patchedLine(event.patch)]);
				break;
			case 'restarted':
				print([restartedLine(event.restart)]);
				break;
			case 'rollout-progress': {
				// Like kubectl rollout status: print each distinct status message once.
				const message = event.rollout.status.message;
				if (message !== lastRolloutMessage || event.rollout.finishedAt) {
					lastRolloutMessage = message;
					print(event.rollout.finishedAt ? rolloutLines(event.rollout) : [rolloutLines(event.rollout)[1]!]);
				}
				break;
			}
			case 'proof-progress':
				// Once: the wait for the daemons' own words can take up to a minute.
				if (!proofAnnounced) {
					proofAnnounced = true;
					print([proofLines(event.proof)[0]!]);
				}
				break;
			case 'verified':
				print(verifyLines(state.verification, state.found));
				break;
			case 'failed':
				print([failureLine(event.failure)]);
				break;
			case 'finished':
				write('\n');
				print(summaryLines(state), '');
				write(`${renderLine([{text: event.outcome.message, style: event.outcome.exitCode === 0 ? 'ok' : 'bad'}, codeSegment(event.outcome.code)], options.color)}\n`);
				break;
			default:
				break;
		}
	};}
