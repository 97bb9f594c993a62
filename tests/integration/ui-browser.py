#!/usr/bin/python3
# ui-browser.py - drive Debian's headless Chromium (chromium-driver,
# python3-selenium) through the promoter's web interface for
# ui-browser.sh.  It asserts nothing itself: it prints one JSON object
# of what the browser saw (texts, DOM probes, console messages) and the
# test script judges it.
#
#   ui-browser.py BASE-URL SNAPSHOT BUILD-ID SCREENSHOT.png PROFILE-DIR
#
# Chromium runs headless, with --no-sandbox (needed as root, which CI
# is) and a throwaway profile; the screenshot is of the overview with a
# 1280x800 viewport.
import json
import sys

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By

base, snap, build, shot, profile = sys.argv[1:6]

opts = webdriver.ChromeOptions()
for a in ("--headless=new", "--no-sandbox", "--disable-gpu",
          "--disable-dev-shm-usage", "--no-first-run",
          "--disable-background-networking", "--disable-extensions",
          "--window-size=1280,800", "--user-data-dir=" + profile):
    opts.add_argument(a)
opts.set_capability("goog:loggingPrefs", {"browser": "ALL"})
drv = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=opts)
drv.set_page_load_timeout(30)
out = {"console": [], "pages": {}}

# What a script injected through a package description or a job URL
# would leave behind: a window flag, a <script> element, an element with
# an on* handler attribute, a javascript: link.
PROBE = """
var on = 0;
document.querySelectorAll('*').forEach(function (e) {
  for (var i = 0; i < e.attributes.length; i++)
    if (/^on/i.test(e.attributes[i].name)) on++;
});
return {
  title: document.title,
  pwned: typeof window.pwned !== 'undefined' ||
         typeof window.pwned2 !== 'undefined' ||
         typeof window.pwned3 !== 'undefined',
  scripts: document.scripts.length,
  handlers: on,
  jslinks: document.querySelectorAll('[href^="javascript:" i],' +
      '[src^="javascript:" i]').length,
  imgs: document.images.length,
  text: document.body.innerText
};
"""


def visit(name, url):
    drv.get(url)
    p = drv.execute_script(PROBE)
    p["url"] = drv.current_url
    out["pages"][name] = p
    for m in drv.get_log("browser"):
        out["console"].append({"page": name, "level": m.get("level"),
                               "message": m.get("message")})
    return p


try:
    # The overview: environments and their gates.
    visit("overview", base + "/ui/")
    out["envs"] = [s.find_element(By.TAG_NAME, "h2").text
                   for s in drv.find_elements(By.CSS_SELECTOR,
                                              "section.env")]
    out["gates"] = [li.text for li in
                    drv.find_elements(By.CSS_SELECTOR, "ul.gates li")]
    out["gate_links"] = [a.get_attribute("href") for a in
                         drv.find_elements(By.CSS_SELECTOR,
                                           "ul.gates li a")]
    # The screenshot: the overview in a 1280x800 viewport.
    drv.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {
        "width": 1280, "height": 800, "deviceScaleFactor": 1,
        "mobile": False})
    drv.save_screenshot(shot)
    drv.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})

    # Follow the overview's link to the snapshot (the link works).
    links = drv.find_elements(By.CSS_SELECTOR,
                              'a[href="/ui/snapshots/%s"]' % snap)
    out["snapshot_linked"] = len(links) > 0
    if links:
        links[0].click()
    else:
        drv.get(base + "/ui/snapshots/" + snap)
    p = visit("snapshot", drv.current_url)
    out["upgraded"] = [[td.text for td in
                        tr.find_elements(By.TAG_NAME, "td")]
                       for tr in drv.find_elements(By.CSS_SELECTOR,
                                                   "tr.upgraded")]
    out["descriptions"] = [td.text for td in
                           drv.find_elements(By.CSS_SELECTOR, "td.desc")]
    out["result_links"] = [a.get_attribute("href") for a in
                           drv.find_elements(By.CSS_SELECTOR, "td a")
                           if "ci.example.org" in
                           (a.get_attribute("href") or "")]

    # A build: the log's tail.
    visit("build", base + "/ui/builds/" + build)
    logs = drv.find_elements(By.ID, "log")
    out["log"] = logs[0].text if logs else None

    # The other pages render too.
    visit("builds", base + "/ui/builds")
    visit("watches", base + "/ui/watches")
    visit("audit", base + "/ui/audit")
finally:
    drv.quit()
json.dump(out, sys.stdout)
print()
