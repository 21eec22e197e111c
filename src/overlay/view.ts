/**
 * `overlayView(session)`: the overlay of a session as the AnalyzerApi's
 * `OverlayView` (src/api.ts), for the UI service's `getOverlay()`.
 */
import type { OverlayView } from '../api.js';
import type { AnalysisSession } from '../engine/session.js';

export function overlayView(session: AnalysisSession): OverlayView {
  const o = session.overlay().toJSON();
  return {
    nodes: o.nodes, pods: o.pods, services: o.services, tunnels: o.tunnels,
    translations: o.translations, journeys: o.journeys, candidateServices: o.candidateServices,
  };
}
