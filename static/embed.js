// The embedded audience page (/e/CODE?room=ID&embed=1): the audience page
// framed in the organiser's web-TV page. It drops the page's header (the
// html element's "embed" class, programme.css) and tells the host page its
// height on every change of layout, with {type: "ovation:height", height}
// posted to the parent window; the host sets its iframe's height from it
// (README, "Web TV"). Who may frame the page is the server's business
// (frame-ancestors); the participant token is kept in this page's own
// localStorage, so no third-party cookie is needed.

// embedded reports whether the page was asked to be embedded.
export const embedded = () => new URLSearchParams(location.search).get('embed') === '1';

// startEmbed turns the page into its embedded form when asked to.
export function startEmbed() {
  if (!embedded()) return false;
  document.documentElement.classList.add('embed');
  if (window.parent === window) return true; // opened on its own: nobody to tell
  let last = -1;
  const post = () => {
    const height = Math.ceil(document.body.getBoundingClientRect().height);
    if (height === last) return;
    last = height;
    // The height is no secret: any page that frames this one may know it.
    window.parent.postMessage({ type: 'ovation:height', height }, '*');
  };
  new ResizeObserver(post).observe(document.body);
  post();
  return true;
}
