/* The post editor: django-prose-editor (ProseMirror + Tiptap, served from its own static files)
 * configured to write Hanji's body schema (hanji/posts/body.py): headings h2-h4, marks, lists,
 * quotes, links, code, tables, and the schema's own blocks as atom nodes:
 *   <figure class="image"><img …><figcaption>…</figcaption></figure>   (alt text and caption edited in place)
 *   <figure class="bookmark">…</figure>, <figure class="embed">…</figure>  (made by the server)
 *   <hr data-hanji="paywall">, <p data-hanji="subscribe"><a class="button">…</a></p>
 *   <div data-hanji="members|subscribers|tier">…</div>   a members-only block (holds blocks)
 * Pictures arrive by the button, paste or drop and are resized by the server; a URL pasted alone
 * becomes a card; pasted Markdown becomes the schema. Drafts autosave; a conflict is reported.
 * Every toolbar button gets a name in the writer's language and shows an icon or a word, never
 * the bundle's "?" for a block it has no style for (a picture, a card, the paywall).
 * Everything saved passes the server's sanitizer again, whatever this file does. */
// The toolbar's and dialogs' words in the writer's language (hanji/studio/editor_labels.py):
// the bundle reads window.gettext once, when it loads, so it is set before the import.
const WORDS = JSON.parse(document.getElementById("editor-labels")?.textContent || "{}")
const translate = (text) => WORDS[text] ?? text
window.gettext = translate

const {
  Blockquote, Bold, BulletList, Code, CodeBlock, Document, Dropcursor, Gapcursor, HardBreak,
  Heading, History, HorizontalRule, Italic, Link, ListItem, Menu, Node, OrderedList, Paragraph,
  Plugin, Strike, Subscript, Superscript, Table, TableCell, TableHeader, TableRow, Text,
  Underline, Extension, createTextareaEditor,
} = await import("django-prose-editor/editor")

const form = document.getElementById("post-form")
const textarea = document.querySelector("textarea[data-hanji-editor]")
const status = document.getElementById("save-status")
const labels = textarea.dataset
const csrf = form.querySelector("input[name=csrfmiddlewaretoken]").value

function say(message, urgent = false) {
  status.textContent = message
  status.setAttribute("role", urgent ? "alert" : "status")
}

async function post(url, data) {
  const response = await fetch(url, {
    method: "POST",
    body: data,
    credentials: "same-origin",
    headers: { "X-CSRFToken": csrf, Accept: "application/json" },
  })
  let payload = {}
  try { payload = await response.json() } catch (e) { payload = { error: response.statusText } }
  return { ok: response.ok, status: response.status, data: payload }
}

function fromImg(selector, attr) {
  return (el) => el.querySelector(selector)?.getAttribute(attr) || null
}

const HanjiImage = Node.create({
  name: "hanjiImage",
  group: "block",
  atom: true,
  draggable: true,
  selectable: true,
  addAttributes() {
    return {
      src: { default: "", parseHTML: fromImg("img", "src"), rendered: false },
      srcset: { default: null, parseHTML: fromImg("img", "srcset"), rendered: false },
      width: { default: null, parseHTML: fromImg("img", "width"), rendered: false },
      height: { default: null, parseHTML: fromImg("img", "height"), rendered: false },
      alt: { default: "", parseHTML: fromImg("img", "alt"), rendered: false },
      caption: {
        default: "",
        parseHTML: (el) => el.querySelector("figcaption")?.textContent || "",
        rendered: false,
      },
    }
  },
  parseHTML() {
    return [{ tag: "figure.image", priority: 100 }]
  },
  renderHTML({ node }) {
    const a = node.attrs
    const img = ["img", {
      src: a.src, srcset: a.srcset || null, sizes: a.srcset ? "(max-width: 720px) 100vw, 720px" : null,
      alt: a.alt || "", width: a.width, height: a.height, loading: "lazy",
    }]
    return a.caption ? ["figure", { class: "image" }, img, ["figcaption", {}, a.caption]] : ["figure", { class: "image" }, img]
  },
  addNodeView() {
    return ({ node, getPos, editor }) => {
      let current = node
      const dom = document.createElement("figure")
      dom.className = "image hanji-image-edit"
      const img = document.createElement("img")
      const fields = {}
      for (const [name, label] of [["alt", labels.altLabel], ["caption", labels.captionLabel]]) {
        const wrap = document.createElement("label")
        wrap.className = "figure-field"
        wrap.textContent = label
        const input = document.createElement("input")
        input.type = "text"
        input.name = `figure-${name}`
        input.addEventListener("change", () => {
          const pos = getPos()
          if (typeof pos !== "number") return
          editor.view.dispatch(editor.view.state.tr.setNodeMarkup(pos, undefined, { ...current.attrs, [name]: input.value }))
        })
        wrap.append(input)
        fields[name] = input
        dom.append(wrap)
      }
      dom.prepend(img)
      const show = (n) => {
        img.src = n.attrs.src
        img.alt = n.attrs.alt || ""
        for (const name of ["alt", "caption"]) {
          if (document.activeElement !== fields[name]) fields[name].value = n.attrs[name] || ""
        }
      }
      show(node)
      return {
        dom,
        update(updated) {
          if (updated.type.name !== "hanjiImage") return false
          current = updated
          show(updated)
          return true
        },
        stopEvent: (event) => event.target instanceof HTMLInputElement,
        ignoreMutation: () => true,
      }
    }
  },
})

// Cards made by the server (bookmark, embed): kept as the exact HTML the server returned.
function serverBlock(name, selector) {
  return Node.create({
    name,
    group: "block",
    atom: true,
    draggable: true,
    selectable: true,
    addAttributes() {
      return { html: { default: "", parseHTML: (el) => el.outerHTML, rendered: false } }
    },
    parseHTML() {
      return [{ tag: selector, priority: 100 }]
    },
    renderHTML({ node }) {
      const template = document.createElement("template")
      template.innerHTML = node.attrs.html
      return template.content.firstElementChild || ["p", {}, ""]
    },
  })
}

const Paywall = Node.create({
  name: "paywall",
  group: "block",
  atom: true,
  selectable: true,
  parseHTML() { return [{ tag: 'hr[data-hanji="paywall"]', priority: 100 }] },
  renderHTML() { return ["hr", { "data-hanji": "paywall" }] },
})

const SubscribeButton = Node.create({
  name: "subscribeButton",
  group: "block",
  atom: true,
  selectable: true,
  addAttributes() {
    return { label: { default: labels.subscribeLabel, parseHTML: (el) => el.textContent.trim(), rendered: false } }
  },
  parseHTML() { return [{ tag: 'p[data-hanji="subscribe"]', priority: 100 }] },
  renderHTML({ node }) {
    return ["p", { "data-hanji": "subscribe" }, ["a", { href: "#subscribe", class: "button" }, node.attrs.label]]
  },
})

// A members-only block (hanji/posts/body.py): <div data-hanji="members|subscribers|tier"
// [data-tier="SLUG"]>…blocks…</div>. Shown as a labelled box whose menu says who may read it
// (hanji.memberships.access decides, on every channel); its text is edited in place.
const TIERS = JSON.parse(document.getElementById("editor-tiers")?.textContent || "[]")
const BLOCK_KINDS = ["members", "subscribers", "tier"]

function blockChoices() {
  const choices = [["members", "", labels.blockMembers], ["subscribers", "", labels.blockSubscribers]]
  for (const tier of TIERS) choices.push(["tier", tier.slug, `${labels.blockTier} ${tier.name}`])
  return choices
}

const MembersBlock = Node.create({
  name: "membersBlock",
  group: "block",
  content: "block+",
  defining: true,
  draggable: true,
  addAttributes() {
    return {
      kind: { default: "members", parseHTML: (el) => el.getAttribute("data-hanji"), rendered: false },
      tier: { default: "", parseHTML: (el) => el.getAttribute("data-tier") || "", rendered: false },
    }
  },
  parseHTML() {
    return [{
      tag: "div[data-hanji]",
      priority: 100,
      getAttrs: (el) => (BLOCK_KINDS.includes(el.getAttribute("data-hanji")) ? null : false),
    }]
  },
  renderHTML({ node }) {
    const { kind, tier } = node.attrs
    return ["div", { "data-hanji": kind, "data-tier": kind === "tier" && tier ? tier : null }, 0]
  },
  addNodeView() {
    return ({ node, getPos, editor }) => {
      let current = node
      const dom = document.createElement("div")
      dom.className = "hanji-block-edit"
      const head = document.createElement("div")
      head.className = "hanji-block-head"
      head.contentEditable = "false"
      const label = document.createElement("label")
      label.textContent = labels.blockLabel
      const select = document.createElement("select")
      select.name = "block-kind"
      const choices = blockChoices()
      const known = (n) => choices.some(([k, t]) => k === n.attrs.kind && t === (n.attrs.kind === "tier" ? n.attrs.tier : ""))
      const fill = (n) => {
        select.replaceChildren()
        const all = known(n) ? choices : [...choices, [n.attrs.kind, n.attrs.tier, `${labels.blockTier} ${n.attrs.tier}`]]
        for (const [kind, tier, words] of all) {
          const option = document.createElement("option")
          option.value = `${kind}:${tier}`
          option.textContent = words
          select.append(option)
        }
        select.value = `${n.attrs.kind}:${n.attrs.kind === "tier" ? n.attrs.tier : ""}`
        dom.dataset.kind = n.attrs.kind
      }
      select.addEventListener("change", () => {
        const pos = getPos()
        if (typeof pos !== "number") return
        const [kind, tier] = select.value.split(":")
        editor.view.dispatch(editor.view.state.tr.setNodeMarkup(pos, undefined, { ...current.attrs, kind, tier }))
      })
      label.append(select)
      head.append(label)
      const content = document.createElement("div")
      content.className = "hanji-block-body"
      dom.append(head, content)
      fill(node)
      return {
        dom,
        contentDOM: content,
        update(updated) {
          if (updated.type.name !== "membersBlock") return false
          current = updated
          if (document.activeElement !== select) fill(updated)
          return true
        },
        stopEvent: (event) => head.contains(event.target),
        ignoreMutation: (mutation) => mutation.type !== "selection" && head.contains(mutation.target),
      }
    }
  },
})

// --- pictures, cards, Markdown --------------------------------------------------------------

async function upload(file) {
  const data = new FormData()
  data.append("image", file)
  say(labels.uploading)
  const result = await post(form.dataset.upload, data)
  if (!result.ok) {
    say(result.data.error || result.status, true)
    return null
  }
  say("")
  return result.data
}

async function insertPictures(editor, files, pos = null) {
  for (const file of files) {
    const stored = await upload(file)
    if (!stored) continue
    const node = { type: "hanjiImage", attrs: { src: stored.src, srcset: stored.srcset, width: stored.width, height: stored.height, alt: "", caption: "" } }
    const chain = editor.chain().focus()
    ;(pos === null ? chain.insertContent(node) : chain.insertContentAt(pos, node)).run()
  }
}

async function insertCard(editor, url) {
  const data = new FormData()
  data.append("url", url)
  const result = await post(form.dataset.card, data)
  if (!result.ok) {
    say(result.data.error, true)
    return false
  }
  editor.chain().focus().insertContent(result.data.html).run()
  return true
}

const LOOKS_LIKE_MARKDOWN = /(^|\n)(#{1,4} |[-*+] |\d+\. |> |```|!\[[^\]]*\]\()|\*\*[^*]+\*\*|\[[^\]]+\]\([^)]+\)/

function pasteAndDrop(getEditor) {
  return Extension.create({
    name: "hanjiPaste",
    addProseMirrorPlugins() {
      return [new Plugin({
        props: {
          handlePaste(view, event) {
            const editor = getEditor()
            const files = [...(event.clipboardData?.files || [])].filter((f) => f.type.startsWith("image/"))
            if (files.length) {
              insertPictures(editor, files)
              return true
            }
            const html = event.clipboardData?.getData("text/html")
            const text = (event.clipboardData?.getData("text/plain") || "").trim()
            if (html || !text) return false
            if (/^https?:\/\/\S+$/.test(text) && view.state.selection.$from.parent.content.size === 0) {
              insertCard(editor, text).then((ok) => { if (!ok) editor.commands.insertContent(text) })
              return true
            }
            if (LOOKS_LIKE_MARKDOWN.test(text)) {
              const data = new FormData()
              data.append("text", text)
              post(form.dataset.markdown, data).then((r) => {
                if (r.ok) editor.chain().focus().insertContent(r.data.html).run()
                else {
                  // Kept as plain text (nothing lost); say why it was not converted.
                  if (r.data.error) say(r.data.error, true)
                  editor.commands.insertContent(text)
                }
              })
              return true
            }
            return false
          },
          handleDrop(view, event) {
            const files = [...(event.dataTransfer?.files || [])].filter((f) => f.type.startsWith("image/"))
            if (!files.length) return false
            event.preventDefault()
            const at = view.posAtCoords({ left: event.clientX, top: event.clientY })
            insertPictures(getEditor(), files, at ? at.pos : null)
            return true
          },
        },
      })]
    },
  })
}

// --- the editor -------------------------------------------------------------------------------

let editor = null
editor = createTextareaEditor(textarea, [
  Document, Paragraph, Text, HardBreak, Dropcursor, Gapcursor, History,
  Heading.configure({ levels: [2, 3, 4] }), Bold, Italic, Strike, Underline, Subscript, Superscript,
  Code, CodeBlock, Blockquote, BulletList, OrderedList, ListItem, HorizontalRule,
  Link.configure({ openOnClick: false }), Table, TableRow, TableHeader, TableCell, Menu,
  HanjiImage, serverBlock("bookmark", "figure.bookmark"), serverBlock("embed", "figure.embed"),
  Paywall, SubscribeButton, MembersBlock, pasteAndDrop(() => editor),
])
window.hanjiEditor = editor
performance.mark("hanji-editor-ready") // bench/_editor_click.py reads when the editor was built

// --- the toolbar's names ------------------------------------------------------------------------

// The style menu shows the style of the block at the cursor; on a block that has none (a
// picture, a card, the paywall) the bundle shows a "?" icon named "question_mark", which gets
// the menu's name as a word instead. The bundle replaces the button inside the menu on every
// change (a button that had the focus would drop it), so the menu's own box takes the focus,
// the name and the keys; the button inside is only its picture. Every other button gets its
// name translated.
function nameToolbar(menubar) {
  for (const button of menubar.querySelectorAll("button:not([data-named])")) {
    button.dataset.named = ""
    const menu = button.closest(".prose-menubar__selected")
    if (menu) {
      const style = button.textContent === "question_mark" ? "" : translate(button.getAttribute("aria-label") || "")
      const picture = document.createElement("span")  // a button inside a button is not allowed
      picture.className = button.className
      picture.textContent = style ? button.textContent : translate("Text style")
      if (!style) picture.classList.remove("material-icons")
      if (button.dataset.level) picture.dataset.level = button.dataset.level
      picture.setAttribute("aria-hidden", "true")
      button.replaceWith(picture)
      const name = style ? `${translate("Text style")}: ${style}` : translate("Text style")
      menu.setAttribute("aria-label", name)
      menu.title = name
      continue
    }
    if (button.classList.contains("prose-menubar__option")) {
      const words = button.firstElementChild || button
      words.textContent = translate(words.textContent.trim())
      continue
    }
    const name = translate(button.getAttribute("aria-label") || button.title || "")
    if (name) {
      button.setAttribute("aria-label", name)
      button.title = name
    }
  }
}

function menuFromKeyboard(menu) {
  menu.tabIndex = 0
  menu.setAttribute("role", "button")
  menu.setAttribute("aria-haspopup", "true")
  menu.addEventListener("keydown", (event) => {
    if (event.key !== "Enter" && event.key !== " ") return
    event.preventDefault()
    menu.click()
    menu.nextElementSibling?.querySelector("button:not(.hidden)")?.focus()
  })
}

// The bundle builds its toolbar when the editor announces itself, after this script's turn.
editor.on("create", () => {
  const menubar = textarea.closest(".prose-editor")?.querySelector(".prose-menubar")
  // The writing area is a text box; screen readers call it by the body's label.
  editor.view.dom.setAttribute("aria-labelledby", "id_body_label")
  editor.view.dom.setAttribute("aria-multiline", "true")
  if (!menubar) return
  menubar.querySelectorAll(".prose-menubar__selected").forEach(menuFromKeyboard)
  nameToolbar(menubar)
  new MutationObserver(() => nameToolbar(menubar)).observe(menubar, { childList: true, subtree: true })
})

document.getElementById("id_image_file")?.addEventListener("change", (event) => {
  insertPictures(editor, [...event.target.files])
  event.target.value = ""
})
document.querySelectorAll("[data-insert]").forEach((button) => {
  button.addEventListener("click", async () => {
    const kind = button.dataset.insert
    if (kind === "paywall") editor.chain().focus().insertContent({ type: "paywall" }).run()
    if (kind === "subscribe") editor.chain().focus().insertContent({ type: "subscribeButton" }).run()
    // The paragraph at the cursor (or the selected blocks) goes inside; typing goes on in it.
    if (kind === "members") editor.chain().focus().wrapIn("membersBlock", { kind: "members", tier: "" }).run()
    if (kind === "card") {
      const url = window.prompt(labels.cardPrompt)
      if (url) await insertCard(editor, url.trim())
    }
  })
})

// --- autosave ---------------------------------------------------------------------------------

let timer = null
let saving = false
let again = false
const version = document.getElementById("id_version")
// The slug follows the title until the writer types one: autosave answers the new slug.
const slugInput = document.getElementById("id_slug")
const slugAuto = document.getElementById("id_slug_auto")
const slugPreview = document.querySelector("[data-slug-preview]")
slugInput?.addEventListener("input", () => {
  if (slugAuto) slugAuto.value = "0"
  if (slugPreview) slugPreview.textContent = slugInput.value
})

function showSlug(data) {
  if (!slugInput || !slugAuto || !data.slug) return
  if (slugAuto.value === "1" && document.activeElement !== slugInput) {
    slugInput.value = data.slug
    if (slugPreview) slugPreview.textContent = data.slug
  }
  if (data.slug_auto === false) slugAuto.value = "0"
}

async function autosave() {
  if (saving) { again = true; return }
  saving = true
  const data = new FormData(form)
  data.delete("cover")
  data.delete("action")
  const result = await post(form.dataset.autosave, data)
  saving = false
  if (result.status === 409) {
    say(result.data.message, true)
  } else if (result.ok) {
    if (result.data.version) version.value = result.data.version
    showSlug(result.data)
    say(`${status.dataset.savedLabel || "✓"} ${result.data.saved_at}`)
  }
  if (again) { again = false; schedule() }
}

function schedule() {
  clearTimeout(timer)
  timer = setTimeout(autosave, 2500)
}

textarea.addEventListener("input", schedule)
form.addEventListener("input", (event) => { if (event.target !== textarea && !event.target.name?.startsWith("figure-")) schedule() })
form.addEventListener("submit", () => clearTimeout(timer))

// --- recipients of a send -----------------------------------------------------------------------

const count = document.getElementById("recipient-count")
async function recipients() {
  if (!count) return
  const params = new URLSearchParams()
  for (const select of form.querySelectorAll("[data-recipient-source]")) params.set(select.name, select.value)
  const response = await fetch(`${form.dataset.recipients}?${params}`, { credentials: "same-origin" })
  if (response.ok) {
    const data = await response.json()
    count.textContent = `${count.dataset.label} ${data.count.toLocaleString()}`
    count.dataset.count = String(data.count)
  }
}
form.querySelectorAll("[data-recipient-source]").forEach((s) => s.addEventListener("change", recipients))
recipients()
