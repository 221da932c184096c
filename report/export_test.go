package report

// Shape is shape for the tests of package report_test: the presentation
// forms that pdftotext gives back, in logical order.
func Shape(s string) string { return string(shape([]rune(s))) }
