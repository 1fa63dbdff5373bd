// The Clerk payload samples the fake backend builds its data from (copies of fixtures/clerk).
import userCreated from './samples/user.created.json?raw';
import userCreatedPhone from './samples/user.created.phone-only.json?raw';
import userCreatedGoogle from './samples/user.created.oauth-google.json?raw';
import userCreatedBare from './samples/user.created.no-username.json?raw';
import userUpdated from './samples/user.updated.json?raw';
import userDeleted from './samples/user.deleted.json?raw';
import sessionCreated from './samples/session.created.json?raw';
import sessionEnded from './samples/session.ended.json?raw';
import emailCreated from './samples/email.created.json?raw';
import orgCreated from './samples/organization.created.json?raw';

export interface Sample {
  name: string;
  about: string;
  json: string;
}

export const SAMPLES: Sample[] = [
  { name: 'user.created', about: 'email + password sign-up with a username', json: userCreated },
  { name: 'user.created.phone-only', about: 'phone-only sign-up (SMS code), no email', json: userCreatedPhone },
  { name: 'user.created.oauth-google', about: 'Google OAuth sign-up', json: userCreatedGoogle },
  { name: 'user.created.no-username', about: 'passwordless email sign-up, no names', json: userCreatedBare },
  { name: 'user.updated', about: 'second email made primary, name and metadata changed', json: userUpdated },
  { name: 'user.deleted', about: 'deletion (data is only id, object, deleted)', json: userDeleted },
  { name: 'session.created', about: 'sign-in session with its latest activity', json: sessionCreated },
  { name: 'session.ended', about: 'the same session after sign-out', json: sessionEnded },
  { name: 'email.created', about: 'sign-in verification-code email (not synced)', json: emailCreated },
  { name: 'organization.created', about: 'organization created by a user (not synced)', json: orgCreated },
];

/** A sample's envelope as an object (a fresh copy each call). */
export function sampleObject(name: string): Record<string, unknown> {
  const s = SAMPLES.find((x) => x.name === name) ?? SAMPLES[0];
  return JSON.parse(s.json) as Record<string, unknown>;
}
