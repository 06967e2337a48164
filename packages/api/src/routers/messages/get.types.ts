/** `messages.get`: one message id; the message in full. */
import { z } from 'zod';
import { messageSummarySchema } from '../../schemas/messages';

export const ZMessagesGetInput = z.object({ id: z.number().int().positive() });

export const ZMessagesGetOutput = z.object({
  summary: messageSummarySchema,
  /** The decoded message (domain `DecodedMessage` JSON), null when undecodable. */
  decoded: z.unknown(),
  /** amqplib message properties as received. */
  properties: z.record(z.string(), z.unknown()),
  /** The stored body (secrets redacted): UTF-8 `text` when valid UTF-8, else `base64`; `bytes` stored. */
  raw: z.object({ text: z.string().nullable(), base64: z.string().nullable(), truncated: z.boolean(), bytes: z.number().int() }),
});
