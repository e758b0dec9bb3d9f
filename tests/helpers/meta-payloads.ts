/** Meta webhook bodies shaped like the real ones (see docs/external wire contracts). */
export function fbFeedComment(pageId: string, commentId: string, message: string, extra: Record<string, unknown> = {}) {
  return {
    field: 'feed',
    value: {
      from: { id: `user-${commentId}`, name: 'Camila Rojas' },
      item: 'comment',
      verb: 'add',
      comment_id: commentId,
      post_id: `${pageId}_987654321`,
      parent_id: `${pageId}_987654321`,
      created_time: 1764400000,
      message,
      ...extra,
    },
  };
}

export function igLiveComment(commentId: string, text: string, mediaId = '17900000000000001') {
  return {
    field: 'live_comments',
    value: {
      id: commentId,
      text,
      from: { id: `igsid-${commentId}`, username: 'vale.compras', self_ig_scoped_id: `igsid-${commentId}` },
      media: { id: mediaId, media_product_type: 'LIVE' },
    },
  };
}

export function pageWebhook(pageId: string, changes: unknown[]) {
  return { object: 'page', entry: [{ id: pageId, time: 1764400001, changes }] };
}

export function instagramWebhook(igId: string, changes: unknown[]) {
  return { object: 'instagram', entry: [{ id: igId, time: 1764400002, changes }] };
}
