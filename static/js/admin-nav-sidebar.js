'use strict';
// The admin's navigation sidebar takes a fifth of a 1280-pixel screen. On list pages (body class
// "change-list") it starts folded, elsewhere open, each until the user toggles it on such a page:
// the two choices are remembered apart. Django's nav_sidebar.js is deferred, so it runs after this
// and reads the state set here from its own key.
(function () {
  var DJANGO_KEY = 'django.admin.navSidebarIsOpen';
  var toggle = document.getElementById('toggle-nav-sidebar');
  if (!toggle) {
    return;
  }
  var onList = document.body.classList.contains('change-list');
  var key = onList ? 'envopt.admin.navSidebarOnLists' : 'envopt.admin.navSidebarElsewhere';
  var state;
  try {
    state = localStorage.getItem(key);
    if (state !== 'true' && state !== 'false') {
      state = onList ? 'false' : 'true';
    }
    localStorage.setItem(DJANGO_KEY, state);
  } catch (error) {
    return; // storage refused (private mode): Django's default applies
  }
  toggle.addEventListener('click', function () {
    state = state === 'true' ? 'false' : 'true';
    try {
      localStorage.setItem(key, state);
    } catch (error) {
      // nothing to remember it in
    }
  });
}());
