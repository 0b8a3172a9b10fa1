'use strict';
// Trades the token for the console's HttpOnly cookie; the token itself is never stored by this page.
document.getElementById('signin').addEventListener('submit', async (e) => {
  e.preventDefault();
  const error = document.getElementById('error');
  const token = document.getElementById('token').value.trim();
  const r = await fetch('/console/session', {method: 'POST', headers: {Authorization: 'Bearer ' + token}});
  if (r.status === 204) {
    location.reload();
    return;
  }
  error.textContent = r.status === 403 ? 'This token may not open the console.' : 'The token was not accepted.';
  error.hidden = false;
});
