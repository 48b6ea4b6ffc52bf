import {useEffect, useState} from 'react';

/**
 * While `active`, re-renders once `intervalMs` passed without a change of `value`: for elapsed times shown
 * between events, at no cost while events come often enough to show them anyway.
 */
export function useTick(intervalMs: number, active: boolean, value?: unknown): void {
	const [tick, setTick] = useState(0);
	useEffect(() => {
		if (!active) return;
		const timer = setTimeout(() => setTick(count => count + 1), intervalMs);
		return () => clearTimeout(timer);
	}, [intervalMs, active, value, tick]);
}
