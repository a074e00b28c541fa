#!/usr/bin/env bash
# Regenerates the LibreOffice-written office fixtures in test/fixtures/ from their sources in
# test/fixtures/src/ (flat ODF XML written by hand; the PNG image is inline base64 in each source):
#
#   src/libreoffice-report.fodt   ->  libreoffice-report.docx   (Writer, "Word 2007-365")
#   src/libreoffice-figures.fods  ->  libreoffice-figures.xlsx  (Calc, "Excel 2007-365")
#   src/libreoffice-slides.fodp   ->  libreoffice-slides.pptx   (Impress, "PowerPoint 2007-365")
#
# They are honest documents that the upload verifier must accept (no false positives).
#
# Run once by hand by a developer, after editing a source: `bash scripts/make-office-fixtures.sh`.
# The outputs are committed, so CI and the tests do not need LibreOffice. Needs `soffice`
# (Debian: libreoffice-writer-nogui, libreoffice-calc-nogui, libreoffice-impress-nogui) and `unzip`.
#
# Each output is checked for the features it exists to carry (comments, tracked changes, media,
# charts, embeddings, notes...) and for size before anything in test/fixtures/ is replaced, so a
# LibreOffice that drops a feature fails here instead of silently weakening the fixtures.
# LibreOffice stamps ZIP entries with the current time: regenerating changes the bytes even when
# the content is the same, so commit the outputs only when a source changed.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
src_dir=test/fixtures/src
out_dir=test/fixtures
max_bytes=$((200 * 1024))

for tool in soffice unzip; do
  command -v "$tool" >/dev/null || { echo "make-office-fixtures: '$tool' is not installed" >&2; exit 1; }
done

work=$(mktemp -d "${TMPDIR:-/tmp}/office-fixtures.XXXXXX")
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/out"

# A private profile, so a running LibreOffice (or another run of this script) is not disturbed.
convert() { # <source> <extension:filter>
  local source=$1 target=$2 name
  name=$(basename "${source%.*}").${target%%:*}
  if ! soffice -env:UserInstallation="file://$work/profile" --headless --norestore \
      --convert-to "$target" --outdir "$work/out" "$source" >"$work/soffice.log" 2>&1 \
      || [[ ! -s "$work/out/$name" ]]; then
    cat "$work/soffice.log" >&2
    echo "make-office-fixtures: LibreOffice did not write $name from $source" >&2
    exit 1
  fi
}

failures=0
fail() { echo "  MISSING: $*" >&2; failures=$((failures + 1)); }

# <file> <extended regex matched against the entry names> <what it shows>
has_entry() {
  if grep -Eq -- "$2" <<<"$(unzip -Z1 "$1")"; then echo "  ok: $3"; else fail "$3 (no entry matching $2)"; fi
}

# <file> <part> <extended regex matched against the part's XML> <what it shows>
has_xml() {
  local xml
  xml=$(unzip -p "$1" "$2" 2>/dev/null || true)
  if grep -Eq -- "$3" <<<"$xml"; then echo "  ok: $4"; else fail "$4 ($2 has no match for $3)"; fi
}

check_size() {
  local bytes
  bytes=$(stat -c %s "$1")
  if ((bytes <= max_bytes)); then echo "  ok: $bytes bytes"; else fail "size: $bytes bytes, more than $max_bytes"; fi
}

convert "$src_dir/libreoffice-report.fodt" 'docx:MS Word 2007 XML'
convert "$src_dir/libreoffice-figures.fods" 'xlsx:Calc MS Excel 2007 XML'
convert "$src_dir/libreoffice-slides.fodp" 'pptx:Impress MS PowerPoint 2007 XML'

f=$work/out/libreoffice-report.docx
echo "libreoffice-report.docx"
check_size "$f"
has_entry "$f" '^word/document\.xml$' 'main part'
has_xml "$f" word/document.xml '<w:ins ' 'tracked insertion (w:ins)'
has_xml "$f" word/document.xml '<w:del .*<w:delText' 'tracked deletion (w:del / w:delText)'
has_entry "$f" '^word/comments\.xml$' 'comments part'
has_xml "$f" word/comments.xml 'Please confirm this against the ledger' 'comment text'
has_xml "$f" word/document.xml '<w:commentRangeStart .*<w:commentReference ' 'comment anchored on a range'
has_xml "$f" word/document.xml '<w:hyperlink ' 'hyperlink'
has_xml "$f" word/_rels/document.xml.rels 'Target="https://example\.com/?"' 'hyperlink target https://example.com'
has_xml "$f" word/document.xml '<w:tbl>' 'table'
has_entry "$f" '^word/media/[^/]+\.png$' 'PNG image in word/media/'
has_xml "$f" word/document.xml '<a:blip r:embed=' 'image referenced from the text'
has_entry "$f" '^word/charts/chart[0-9]+\.xml$' 'chart part'
has_xml "$f" word/charts/chart1.xml '<c:barChart>' 'bar chart'
has_entry "$f" '^word/embeddings/[^/]+\.xlsx$' 'embedded spreadsheet package in word/embeddings/'
has_xml "$f" word/document.xml '<o:OLEObject [^>]*ProgID="Excel\.Sheet\.12"' 'embedded object (Excel.Sheet.12)'

f=$work/out/libreoffice-figures.xlsx
echo "libreoffice-figures.xlsx"
check_size "$f"
has_entry "$f" '^xl/workbook\.xml$' 'main part'
has_xml "$f" xl/worksheets/sheet1.xml '<v>12</v>' 'numbers'
has_xml "$f" xl/worksheets/sheet1.xml '<f[^>]*>B2\+C2</f>' 'formula B2+C2'
has_xml "$f" xl/worksheets/sheet1.xml '<f[^>]*>SUM\(B2:B5\)</f>' 'formula SUM(B2:B5)'
has_entry "$f" '^xl/comments[0-9]*\.xml$' 'comments part'
has_xml "$f" xl/comments1.xml 'Provisional figure' 'cell comment text'
has_entry "$f" '^xl/drawings/drawing[0-9]+\.xml$' 'drawing part'
has_entry "$f" '^xl/charts/chart[0-9]+\.xml$' 'chart part'
has_xml "$f" xl/charts/chart1.xml '<c:f>Figures!\$B\$2:\$B\$5</c:f>' 'chart drawn from the sheet cells'
has_entry "$f" '^xl/media/[^/]+\.png$' 'PNG image in xl/media/'
has_xml "$f" xl/drawings/drawing1.xml '<a:blip r:embed=' 'image placed on the sheet'

f=$work/out/libreoffice-slides.pptx
echo "libreoffice-slides.pptx"
check_size "$f"
has_entry "$f" '^ppt/presentation\.xml$' 'main part'
has_entry "$f" '^ppt/slides/slide2\.xml$' 'two slides'
has_xml "$f" ppt/slides/slide1.xml '<a:t>Sales grew in every region</a:t>' 'slide text'
has_entry "$f" '^ppt/media/[^/]+\.png$' 'PNG image in ppt/media/'
has_xml "$f" ppt/slides/slide1.xml '<a:blip r:embed=' 'image on slide 1'
has_entry "$f" '^ppt/charts/chart[0-9]+\.xml$' 'chart part'
has_xml "$f" ppt/slides/slide2.xml '<c:chart ' 'chart on slide 2'
has_xml "$f" ppt/notesSlides/notesSlide1.xml 'Open with the headline' 'speaker notes, slide 1'
has_xml "$f" ppt/notesSlides/notesSlide2.xml 'Q4 was the strongest quarter' 'speaker notes, slide 2'

if ((failures > 0)); then
  echo "make-office-fixtures: $failures check(s) failed; test/fixtures/ left unchanged" >&2
  exit 1
fi

for name in libreoffice-report.docx libreoffice-figures.xlsx libreoffice-slides.pptx; do
  cp "$work/out/$name" "$out_dir/$name"
  echo "wrote $out_dir/$name"
done
