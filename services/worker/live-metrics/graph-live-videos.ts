/**
 * Reads a Page's live videos from the Graph API (`GET /{page-id}/live_videos`), the fields Meta exposes for a
 * broadcast: `status` (LIVE, LIVE_STOPPED, VOD, SCHEDULED_*, …), `live_views` (people watching now),
 * `broadcast_start_time`, `title`, `permalink_url` and `video{id}` — the video id that the live's comments carry
 * as the second part of their post id (`<page id>_<video id>`).
 */
import { withDeadline } from '../../../shared/runtime/deadline.js';

export interface GraphLiveVideo {
  id: string;
  status: string | null;
  live_views: number | null;
  title: string | null;
  broadcast_start_time: string | null;
  permalink_url: string | null;
  video_id: string | null;
}

export const LIVE_VIDEO_FIELDS = 'id,status,live_views,title,broadcast_start_time,permalink_url,video{id}';

/** A Graph API refusal, with Meta's code (190: the token; 100: the object; 4/17/32/613: rate limits). */
export class GraphReadError extends Error {
  constructor(
    message: string,
    readonly status: number,
    readonly code: number | null,
  ) {
    super(message);
  }
}

export async function readPageLiveVideos(input: { graphUrl: string; pageId: string; token: string; timeoutMs: number }): Promise<GraphLiveVideo[]> {
  const url = new URL(`${input.graphUrl.replace(/\/$/, '')}/${encodeURIComponent(input.pageId)}/live_videos`);
  url.searchParams.set('fields', LIVE_VIDEO_FIELDS);
  url.searchParams.set('broadcast_status', '["LIVE","LIVE_STOPPED"]');
  url.searchParams.set('limit', '25');
  return withDeadline(`Graph GET /${input.pageId}/live_videos`, input.timeoutMs, async (signal) => {
    const res = await fetch(url, { headers: { authorization: `Bearer ${input.token}` }, signal });
    const text = await res.text();
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      throw new GraphReadError(`Graph answered ${res.status} with a body that is not JSON`, res.status, null);
    }
    const error = (body as { error?: { message?: string; code?: number } }).error;
    if (!res.ok || error) throw new GraphReadError(`Graph ${res.status} (#${error?.code ?? '?'}) ${error?.message ?? ''}`.trim(), res.status, error?.code ?? null);
    const data = (body as { data?: unknown }).data;
    if (!Array.isArray(data)) return [];
    return data.map((d: Record<string, unknown>) => ({
      id: String(d.id),
      status: typeof d.status === 'string' ? d.status : null,
      live_views: typeof d.live_views === 'number' ? d.live_views : null,
      title: typeof d.title === 'string' ? d.title : null,
      broadcast_start_time: typeof d.broadcast_start_time === 'string' ? d.broadcast_start_time : null,
      permalink_url: typeof d.permalink_url === 'string' ? d.permalink_url : null,
      video_id: typeof (d.video as { id?: unknown } | undefined)?.id === 'string' ? (d.video as { id: string }).id : null,
    }));
  });
}
