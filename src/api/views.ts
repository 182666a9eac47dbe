/** Shaping engine values into the API's answers (the seed's field names). */
import type { z } from 'zod';
import type { ComputeOffer } from '../core/engine/ports.js';
import type { errorSchema, confirmationNeededSchema, offerSchema } from './schemas.js';
import type { Quote } from './session-control.js';

/** An offer as the seed's `/vastai/instances` listed it, plus what we know about $/document. */
export function offerView(offer: ComputeOffer): z.input<typeof offerSchema> {
  return {
    id: /^\d+$/.test(offer.id) ? Number(offer.id) : offer.id,
    gpu_name: offer.gpuName,
    num_gpus: offer.gpuCount,
    gpu_ram_gb: offer.gpuRamGb,
    cpu_cores: offer.cpuCores,
    ram_gb: offer.ramGb,
    cost_per_hour: offer.pricePerHour,
    disk_space_gb: offer.diskGb,
    reliability: offer.reliability,
    download_mbps: offer.downloadMbps,
    seconds_per_document: offer.secondsPerDocument,
    cost_per_document: offer.costPerDocument,
    label: offer.label,
  };
}

/** The 409 answer: nothing was rented; this is what it would cost and how to agree to it. */
export function confirmationNeeded(quote: Quote, requestId: string, hint: string): z.input<typeof confirmationNeededSchema> {
  const { estimate } = quote;
  const error: z.input<typeof errorSchema>['error'] = {
    code: 'confirmation_required',
    message:
      `This session rents paid machines: about $${estimate.total_cost.toFixed(2)} for ${estimate.total_documents} documents ` +
      `(${estimate.basis}). Nothing has been rented.`,
    hint,
    request_id: requestId,
  };
  return {
    error,
    session_id: quote.sessionId,
    estimate,
    offers: quote.offers.map(offerView),
    offers_error: quote.offersError,
  };
}

export const toIso = (ms: number): string => new Date(ms).toISOString();

export const round2 = (n: number): number => Math.round(n * 100) / 100;
