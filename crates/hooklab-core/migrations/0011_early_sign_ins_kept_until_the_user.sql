-- 0011: a sign-in seen before its user is kept only until the user arrives (the writer now
-- deletes it when it writes the user row), so what is left names the users who signed in but
-- never arrived, and counting them stays cheap. Rows whose user came already go here.
DELETE FROM early_sign_ins WHERE user_id IN (SELECT id FROM users);
